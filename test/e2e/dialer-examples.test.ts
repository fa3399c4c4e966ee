import type { AddressInfo } from 'node:net';
import { Worker, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../support/clock.js';
import { eventually } from '../support/poll.js';
import { campaignInput } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { readDialerExamples, type ExampleRequest } from '../support/dialer-examples.js';

/**
 * "A sender written only from docs/dialers.md completes a campaign": a dialer and a WhatsApp
 * sender that are plain BullMQ workers calling the HTTP API over real HTTP, with the request
 * bodies and headers read from the examples of docs/dialers.md, and the system's answers
 * compared with the ones shown there. dialer-programs.test.ts runs the page's whole programs.
 */

const examples = readDialerExamples();

/** The one example request for this route whose body matches and that shows an answer of this status. */
function example(route: string, matches: (body: Record<string, unknown>) => boolean, status = 200): ExampleRequest {
  const found = examples.requests.filter(
    (request) => request.route === route && matches(request.body) && request.answers.some((answer) => answer.status === status),
  );
  if (found.length !== 1) throw new Error(`docs/dialers.md: expected one ${route} example answered ${status}, found ${found.length}`);
  return found[0]!;
}
const any = () => true;
const CLAIM = example('/calls/{id}/claim', any);
const MESSAGE_CLAIM = example('/whatsapp-messages/{id}/claim', any);
const ANSWERED = example('/calls/{id}/outcome', (body) => body.status === 'answered');
const NO_ANSWER = example('/calls/{id}/outcome', (body) => body.status === 'no_answer');
const CONFLICTING_OUTCOME = example('/calls/{id}/outcome', any, 409);
const SENT = example('/whatsapp-messages/{id}/events', (body) => body.event === 'sent');
const REPLIED = example('/whatsapp-messages/{id}/events', (body) => body.event === 'replied');
const WRONG_FIELD = example('/whatsapp-messages/{id}/events', any, 422);
const EMAIL_SENT = example('/campaigns/{id}/targets/{id}/events', (body) => body.type === 'email_sent');
const AI_EVALUATION = example('/campaigns/{id}/targets/{id}/events', (body) => body.type === 'ai_evaluation');

const shownAnswer = (request: ExampleRequest, status: number) => request.answers.find((answer) => answer.status === status)!.body;
const shownJob = (key: string) => examples.jobData.find((data) => key in data)!;
const keysOf = (value: unknown) => Object.keys(value as object).sort();

// Monday 2026-11-30 10:00 UTC: inside the default 09:00–19:00 weekday window.
const clock = createTestClock(new Date('2026-11-30T10:00:00Z'));
const WHATSAPP_CHANNEL = '5b1c1a52-53b4-4a39-8d0e-2f9d6f4b8c02';
const REPLIES = new Set(['+14155550162']);

let t: TestSystem;
let base: string;
const workers: Worker[] = [];

interface Exchange {
  request: ExampleRequest;
  status: number;
  body: unknown;
}
const exchanges: Exchange[] = [];
const jobs: Array<{ queue: string; name: string; data: Record<string, unknown> }> = [];

/** The example's path with its ids replaced, in order. */
const pathOf = (request: ExampleRequest, ids: string[]) => {
  let index = 0;
  return request.route.replace(/\{id\}/g, () => ids[index++]!);
};

/** The example's body; a field that the job carries (the claim's `promotion`) takes the job's value. */
const bodyOf = (request: ExampleRequest, job: Record<string, unknown> = {}) =>
  Object.fromEntries(Object.entries(request.body).map(([key, value]) => [key, key in job ? job[key] : value]));

/** Sends the example request over HTTP with its own headers (the key placeholder replaced). */
async function send(request: ExampleRequest, ids: string[], body: unknown = request.body): Promise<Exchange> {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, value === 'cek_...' ? t.org.apiKey : value]));
  const response = await fetch(`${base}${pathOf(request, ids)}`, { method: request.method, headers, body: JSON.stringify(body) });
  const exchange = { request, status: response.status, body: await response.json() };
  exchanges.push(exchange);
  return exchange;
}

beforeAll(async () => {
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '200' }, 'all', { clock: clock.now });
  await t.system.app!.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.system.app!.server.address() as AddressInfo).port}`;
  const connection = { url: t.config.REDIS_URL, maxRetriesPerRequest: null };
  const prefix = t.config.QUEUE_PREFIX;

  // The dialer: claim with the job's promotion; 409 acknowledges, anything else but 200 retries.
  const dialer = new Worker(
    'campaign-calls',
    async (job: Job) => {
      jobs.push({ queue: 'campaign-calls', name: job.name, data: job.data });
      const claim = await send(CLAIM, [job.data.call_id], bodyOf(CLAIM, job.data));
      if (claim.status === 409) return 'not dialed';
      if (claim.status !== 200) throw new Error(`claim answered ${claim.status}`);
      const outcome = job.data.variables.answers ? ANSWERED : NO_ANSWER;
      const reported = await send(outcome, [job.data.call_id], bodyOf(outcome, job.data));
      if (reported.status !== 200) throw new Error(`outcome answered ${reported.status}`);
      return 'dialed';
    },
    { connection, prefix, concurrency: 5 },
  );
  // The sender: claim like the dialer, report sent, and a reply where the target replies.
  const sender = new Worker(
    'campaign-whatsapp',
    async (job: Job) => {
      jobs.push({ queue: 'campaign-whatsapp', name: job.name, data: job.data });
      const claim = await send(MESSAGE_CLAIM, [job.data.message_id], bodyOf(MESSAGE_CLAIM, job.data));
      if (claim.status === 409) return 'not sent';
      if (claim.status !== 200) throw new Error(`claim answered ${claim.status}`);
      const sent = await send(SENT, [job.data.message_id], bodyOf(SENT, job.data));
      if (sent.status !== 200) throw new Error(`sent answered ${sent.status}`);
      if (REPLIES.has(job.data.whatsapp)) await send(REPLIED, [job.data.message_id], bodyOf(REPLIED, job.data));
    },
    { connection, prefix },
  );
  workers.push(dialer, sender);
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await t?.close();
});

let finished: Promise<{ id: string; targets: Array<Record<string, unknown>> }> | undefined;

/** One campaign run by the examples' dialer and sender, shared by the tests of this file. */
function runCampaign() {
  finished ??= (async () => {
    const created = await t.api(
      'POST',
      '/campaigns',
      campaignInput({ whatsapp_channel_id: WHATSAPP_CHANNEL, whatsapp_first_message: 'Hi!', whatsapp_after_attempts: 1, call_attempt_delays: [0] }),
    );
    const id = created.json().id as string;
    const added = await t.api('POST', `/campaigns/${id}/targets`, [
      { phone: '+14155550161', name: 'answers', variables: { answers: true } },
      { phone: '+14155550162', whatsapp: '+14155550162', name: 'replies on WhatsApp' },
      { phone: '+14155550163', whatsapp: '+14155550163', name: 'never answers' },
    ]);
    expect(added.json()).toMatchObject({ inserted: 3, invalid: [] });
    expect((await t.api('POST', `/campaigns/${id}/start`)).statusCode).toBe(200);
    await eventually(
      async () => {
        // An example request that the system refuses would leave the campaign running: say which.
        const refused = exchanges.find((exchange) => exchange.status !== 200);
        if (refused)
          throw new Error(
            `example request ${refused.request.route} ${JSON.stringify(refused.request.body)} answered ${refused.status}: ${JSON.stringify(refused.body)}`,
          );
        return {
          status: (await t.api('GET', `/campaigns/${id}`)).json().status,
          messages: (await t.api('GET', `/campaigns/${id}/stats`)).json().whatsapp_messages,
        };
      },
      (state) => state.status === 'done' && state.messages.replied === 1,
      30_000,
    );
    const targets = (await t.api('GET', `/campaigns/${id}/targets`)).json().items as Array<Record<string, unknown>>;
    return { id, targets };
  })();
  return finished;
}

describe('a dialer and a WhatsApp sender written from the examples of docs/dialers.md', () => {
  it('complete a campaign, and the system answers them as the page shows', { timeout: 45_000 }, async () => {
    const { id, targets } = await runCampaign();

    const byName = Object.fromEntries(targets.map((target) => [target.name, target.state]));
    expect(byName).toEqual({ answers: 'goal_met', 'replies on WhatsApp': 'goal_met', 'never answers': 'not_answered' });
    const stats = (await t.api('GET', `/campaigns/${id}/stats`)).json();
    expect(stats.calls).toEqual({ answered: 1, no_answer: 2 });
    expect(stats.whatsapp_messages).toEqual({ replied: 1, sent: 1 });

    // The jobs are the page's: queue, job name and exactly the fields of its job data examples.
    const callJobs = jobs.filter((job) => job.queue === 'campaign-calls');
    const messageJobs = jobs.filter((job) => job.queue === 'campaign-whatsapp');
    expect(callJobs).toHaveLength(3);
    expect(messageJobs).toHaveLength(2);
    for (const job of callJobs) {
      expect(job.name).toBe('call');
      expect(keysOf(job.data)).toEqual(keysOf(shownJob('call_id')));
    }
    for (const job of messageJobs) {
      expect(job.name).toBe('whatsapp');
      expect(keysOf(job.data)).toEqual(keysOf(shownJob('message_id')));
    }

    // Every answer has the page's status and shape: claims 200 exactly, the others field by field.
    expect(exchanges.length).toBe(3 + 3 + 2 + 2 + 1);
    for (const exchange of exchanges) {
      expect(exchange.status, exchange.request.route).toBe(200);
      const shown = shownAnswer(exchange.request, 200);
      if (exchange.request === CLAIM || exchange.request === MESSAGE_CLAIM) expect(exchange.body).toEqual(shown);
      else expect(keysOf(exchange.body), exchange.request.route).toEqual(keysOf(shown));
    }
    expect(exchanges.filter((exchange) => exchange.request === REPLIED).map((exchange) => (exchange.body as { status: string }).status)).toEqual(['replied']);
  });

  it(
    "answers the page's other examples exactly: claims 409 and 425, a conflicting outcome, the wrong WhatsApp field, target events",
    { timeout: 45_000 },
    async () => {
      const { id, targets } = await runCampaign();
      const call = jobs.find((job) => job.queue === 'campaign-calls' && !(job.data.variables as { answers?: boolean }).answers)!.data;
      const message = jobs.find((job) => job.queue === 'campaign-whatsapp')!.data;
      const target = targets.find((row) => row.state === 'goal_met')!;
      const exactly = async (request: ExampleRequest, ids: string[], status: number, body: unknown = request.body) => {
        const exchange = await send(request, ids, body);
        expect({ status: exchange.status, body: exchange.body }, request.route).toEqual({ status, body: shownAnswer(request, status) });
      };

      // The call ended: a claim of its job is refused; a job ahead of its row is told to retry.
      await exactly(CLAIM, [call.call_id as string], 409, bodyOf(CLAIM, call));
      await exactly(CLAIM, [call.call_id as string], 425, { ...bodyOf(CLAIM, call), promotion: (call.promotion as number) + 1 });
      await exactly(MESSAGE_CLAIM, [message.message_id as string], 409, bodyOf(MESSAGE_CLAIM, message));
      // The call ended as no_answer: the same report again is harmless, another one is refused.
      const again = await send(NO_ANSWER, [call.call_id as string]);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ id: call.call_id, status: 'no_answer' });
      await exactly(CONFLICTING_OUTCOME, [call.call_id as string], 409);
      await exactly(WRONG_FIELD, [message.message_id as string], 422);
      await exactly(EMAIL_SENT, [id, target.id as string], 200);
      await exactly(AI_EVALUATION, [id, target.id as string], 200);
    },
  );
});

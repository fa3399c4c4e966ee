import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/poll.js';
import { createCampaign, ONE_TARGET } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem();
});
afterAll(() => t?.close());

type Status = 'draft' | 'running' | 'paused' | 'done';

/** A campaign brought to `status` through the real commands. */
async function campaignIn(status: Status): Promise<string> {
  const id = await createCampaign(t, { targets: ONE_TARGET });
  const path: Record<Status, string[]> = { draft: [], running: ['start'], paused: ['start', 'pause'], done: ['complete'] };
  for (const command of path[status]) {
    expect((await t.api('POST', `/campaigns/${id}/${command}`)).statusCode).toBe(200);
  }
  return id;
}

const events = async (id: string) => (await t.api('GET', `/campaigns/${id}/events`)).json().items as Array<Record<string, string>>;

// Every cell of the lifecycle table of docs/product.md, through the API and the lifecycle worker.
const CELLS: Array<[Status, string, number, Status]> = [
  ['draft', 'start', 200, 'running'],
  ['draft', 'pause', 409, 'draft'],
  ['draft', 'complete', 200, 'done'],
  ['running', 'start', 200, 'running'],
  ['running', 'pause', 200, 'paused'],
  ['running', 'complete', 200, 'done'],
  ['paused', 'start', 200, 'running'],
  ['paused', 'pause', 200, 'paused'],
  ['paused', 'complete', 200, 'done'],
  ['done', 'start', 400, 'done'],
  ['done', 'pause', 409, 'done'],
  ['done', 'complete', 200, 'done'],
];

describe('lifecycle commands', () => {
  it.each(CELLS)('%s + %s → %i, campaign %s', async (from, command, code, after) => {
    const id = await campaignIn(from);
    const before = await events(id);
    const response = await t.api('POST', `/campaigns/${id}/${command}`);
    expect(response.statusCode).toBe(code);
    if (code === 200) {
      expect(response.json()).toMatchObject({ id, status: after, name: 'Spring renewals' });
      const log = await events(id);
      expect(log).toHaveLength(before.length + 1);
      expect(log.at(-1)).toMatchObject({ command, from, to: after });
    } else {
      expect(response.json()).toEqual({ detail: expect.any(String) });
      expect(await events(id)).toHaveLength(before.length);
    }
    const current = await t.api('GET', `/campaigns/${id}`);
    expect(current.json().status).toBe(after);
  });

  it('answers 400 with a clear sentence when a done campaign is started', async () => {
    const id = await campaignIn('done');
    const response = await t.api('POST', `/campaigns/${id}/start`);
    expect(response.json()).toEqual({ detail: 'A done campaign cannot be restarted.' });
  });

  it('records idempotent commands as events too', async () => {
    const id = await campaignIn('running');
    await t.api('POST', `/campaigns/${id}/start`);
    await t.api('POST', `/campaigns/${id}/start`);
    const log = await events(id);
    expect(log.map((event) => [event.command, event.from, event.to])).toEqual([
      ['start', 'draft', 'running'],
      ['start', 'running', 'running'],
      ['start', 'running', 'running'],
    ]);
    expect(log.every((event) => event.actor?.startsWith('api_key:'))).toBe(true);
  });

  it('carries the request id from the HTTP request into the event log', async () => {
    const id = await campaignIn('draft');
    const response = await t.api('POST', `/campaigns/${id}/start`, undefined, { 'x-request-id': 'req-lifecycle-1' });
    expect(response.headers['x-request-id']).toBe('req-lifecycle-1');
    expect((await events(id)).at(-1)).toMatchObject({ request_id: 'req-lifecycle-1' });
  });

  it("answers the execution contract's shape: CampaignOut without extra fields", async () => {
    const id = await campaignIn('draft');
    const body = (await t.api('POST', `/campaigns/${id}/start`)).json();
    expect(Object.keys(body).sort()).toEqual(
      [
        'agent_id',
        'call_attempt_delays',
        'call_working_hours',
        'created_at',
        'first_contact_channel',
        'goal_logic',
        'id',
        'name',
        'status',
        'updated_at',
        'whatsapp_after_attempts',
      ].sort(),
    );
  });
});

describe('commands that outlast the wait', () => {
  let slow: TestSystem;
  beforeAll(async () => {
    slow = await startTestSystem({ COMMAND_WAIT_MS: '0' });
  });
  afterAll(() => slow?.close());

  it('answers 202 with a command id whose result can be polled', async () => {
    const id = await createCampaign(slow, { targets: ONE_TARGET });
    const accepted = await slow.api('POST', `/campaigns/${id}/start`);
    expect(accepted.statusCode).toBe(202);
    const { command_id } = accepted.json();
    expect(accepted.headers.location).toBe(`/commands/${command_id}`);
    const command = await eventually(
      async () => (await slow.api('GET', `/commands/${command_id}`)).json(),
      (body) => body.status === 'succeeded',
    );
    expect(command).toMatchObject({ id: command_id, command: 'start', campaign_id: id, status: 'succeeded' });
    expect(command.result).toMatchObject({ status_code: 200, body: { id, status: 'running' } });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedDialer, type ScriptedDialer } from '../support/dialer.js';
import { ALL_WEEK, campaignDatabaseReader, campaignInput, waitCampaignDone } from '../support/campaigns.js';
import { createProcessFixture, type ProcessFixture } from '../support/process-fixture.js';
import { stopOwnedProcesses } from '../support/processes.js';
import { httpClient, startSystemProcess, systemEnv, type SystemProcess } from '../support/system-process.js';

/**
 * Two API processes and three worker processes (`src/main.ts api|worker`) on one PostgreSQL and
 * one Redis, as a deployment scales out, with a dialer built on the exported helper.
 */

const TARGETS = 20_000;
const COMMANDS = 16;

let fixture: ProcessFixture;
let apis: SystemProcess[];
let workers: SystemProcess[];
let dialer: ScriptedDialer | undefined;

beforeAll(async () => {
  // The prefix is hash-tagged as Redis Cluster needs it (docs/operations.md, "Redis"): `{fault_…}`.
  fixture = await createProcessFixture({ hashTaggedPrefix: true });
  const env = systemEnv(
    { databaseUrl: fixture.databaseUrl, redisUrl: fixture.redisUrl, prefix: fixture.prefix },
    // Five processes share the server's connections with other work.
    { DATABASE_POOL_SIZE: '6', HOPPER_INTERVAL_MS: '500', RECONCILE_INTERVAL_MS: '2000', RECONCILE_GRACE_MS: '10000', COMMAND_WAIT_MS: '60000' },
  );
  // Started one after the other: five TypeScript processes booting at once on two cores is slow.
  apis = [];
  workers = [];
  for (let i = 0; i < 3; i++) workers.push(await startSystemProcess('worker', env));
  for (let i = 0; i < 2; i++) apis.push(await startSystemProcess('api', env));
});

afterAll(async () => {
  try {
    await dialer?.close();
    await Promise.all([...(apis ?? []), ...(workers ?? [])].map((process_) => process_.kill('SIGTERM')));
    await fixture?.close();
  } finally {
    await stopOwnedProcesses();
  }
});

describe('two API and three worker processes', () => {
  it('run a 20,000-target campaign: every call placed exactly once, no row promoted twice; commands to either API are serialized per campaign', async () => {
    const [a, b] = apis.map((api) => httpClient(api.url!, fixture.apiKey)) as [ReturnType<typeof httpClient>, ReturnType<typeof httpClient>];
    const campaignId = (await a('POST', '/campaigns', campaignInput({ call_working_hours: ALL_WEEK, timezone: 'UTC' }))).body.id as string;
    // Targets added through both APIs, 5,000 per request.
    for (let batch = 0; batch < TARGETS / 5_000; batch++) {
      const targets = Array.from({ length: 5_000 }, (_, i) => ({
        phone: `+1415${String(batch * 5_000 + i).padStart(7, '0')}`,
        variables: { calls: ['answered'] },
      }));
      const added = await (batch % 2 ? b : a)('POST', `/campaigns/${campaignId}/targets`, targets);
      expect(added.body.inserted).toBe(5_000);
    }
    const contested = (await b('POST', '/campaigns', campaignInput({ call_working_hours: ALL_WEEK, timezone: 'UTC' }))).body.id as string;
    await a('POST', `/campaigns/${contested}/targets`, [{ phone: '+14155550000', variables: { calls: ['no_answer'] } }]);

    dialer = startScriptedDialer({ redisUrl: fixture.redisUrl, prefix: fixture.prefix, concurrency: 100, callDuration: 1, claimTimeoutMs: 30_000 });
    const started = Date.now();
    expect((await b('POST', `/campaigns/${campaignId}/start`)).status).toBe(200);

    // While the campaign runs, start and pause commands for another campaign arrive at once,
    // alternately at either API.
    const answers = await Promise.all(
      Array.from({ length: COMMANDS }, (_, i) => (i % 2 ? b : a)('POST', `/campaigns/${contested}/${i % 4 < 2 ? 'start' : 'pause'}`)),
    );
    expect(answers.every((answer) => [200, 409].includes(answer.status))).toBe(true);

    await waitCampaignDone(campaignDatabaseReader(fixture), campaignId, { timeoutMs: 180_000 });
    const elapsedMs = Date.now() - started;

    // Every call placed exactly once, from the job of its first and only promotion.
    const rows = await fixture.query<{ id: string; status: string; promotion: number }>('SELECT id, status, promotion FROM calls WHERE campaign_id = $1', [
      campaignId,
    ]);
    expect(rows).toHaveLength(TARGETS);
    const dials = dialer.dialsPerCall();
    expect(rows.filter((row) => dials.get(row.id) !== 1)).toEqual([]);
    expect(rows.filter((row) => row.promotion !== 1 || row.status !== 'answered')).toEqual([]);
    const mine = new Set(rows.map((row) => row.id));
    const jobIds = dialer.placed.filter((call) => mine.has(call.callId)).map((call) => call.jobId);
    expect(new Set(jobIds).size).toBe(TARGETS);
    expect(jobIds.every((jobId) => /^call-[0-9a-f-]{36}-1$/.test(jobId))).toBe(true);
    // Nothing went missing in Redis along the way.
    const logs = workers.flatMap((worker) => worker.logs);
    expect(logs.filter((line) => line.msg === 'jobs missing or failed in Redis: their rows go back to the hopper')).toEqual([]);
    expect(logs.filter((line) => (line.level ?? 0) >= 50)).toEqual([]);

    // The commands were applied one at a time: each event starts where the previous one ended.
    const events = (await a('GET', `/campaigns/${contested}/events?limit=100`)).body.items!;
    const applied = answers.filter((answer) => answer.status === 200).length;
    expect(events.filter((event) => event.command !== 'auto_complete')).toHaveLength(applied);
    expect(events[0]).toMatchObject({ from: 'draft' });
    for (let i = 1; i < events.length; i++) expect(events[i]!.from).toBe(events[i - 1]!.to);
    const appliedBy = workers.filter((worker) => worker.logs.some((line) => line.msg === 'command applied')).length;
    console.log(
      `[faults] scale-out: ${TARGETS} calls placed once each in ${elapsedMs} ms (${Math.round(TARGETS / (elapsedMs / 1000))} calls/s) by 3 worker and 2 API processes; ` +
        `${COMMANDS} concurrent commands via both APIs: ${applied} applied, ${COMMANDS - applied} refused, ${events.length} events in one chain, applied by ${appliedBy} of the worker processes`,
    );
  });
});

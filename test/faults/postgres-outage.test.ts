import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueName } from '../../src/queues/names.js';
import { eventually } from '../support/poll.js';
import { startScriptedDialer, type ScriptedDialer } from '../support/dialer.js';
import { ALL_WEEK, campaignDatabaseReader, campaignInput, waitCampaignDone } from '../support/campaigns.js';
import { metricValue } from '../support/metrics.js';
import { createProcessFixture, type ProcessFixture } from '../support/process-fixture.js';
import { stopOwnedProcesses } from '../support/processes.js';
import { httpClient, startSystemBehindProxy, type LogLine, type SystemProcess } from '../support/system-process.js';
import type { TcpProxy } from '../support/tcp-proxy.js';

/**
 * PostgreSQL cut off (a TCP proxy the test owns, closed) for longer than every retry budget but
 * the outcomes' own: the call jobs' five attempts (5 s exponential backoff, about 75 s) run out.
 * The system runs as a child process (`src/main.ts all`) whose log the test reads.
 */

const TARGETS = 200;
/** Calls the dialer keeps going through the outage: their outcomes are reported while PostgreSQL is away. */
const HELD_CALLS = 5;

let fixture: ProcessFixture;
let proxy: TcpProxy;
let system: SystemProcess;
let dialer: ScriptedDialer | undefined;
let calls: Queue;
let dispatch: Queue;

beforeAll(async () => {
  fixture = await createProcessFixture();
  ({ proxy, system } = await startSystemBehindProxy(
    'all',
    { databaseUrl: fixture.databaseUrl, redisUrl: fixture.redisUrl, prefix: fixture.prefix },
    { HOPPER_INTERVAL_MS: '500', RECONCILE_INTERVAL_MS: '1000', RECONCILE_GRACE_MS: '2000', DATABASE_CONNECT_TIMEOUT_MS: '1000', DATABASE_POOL_SIZE: '8' },
  ));
  const connection = { url: fixture.redisUrl };
  calls = new Queue(QueueName.Calls, { connection, prefix: fixture.prefix });
  dispatch = new Queue(QueueName.Dispatch, { connection, prefix: fixture.prefix });
});

afterAll(async () => {
  try {
    await dialer?.close();
    await system?.kill('SIGTERM');
    await calls?.close();
    await dispatch?.close();
    await proxy?.close();
    await fixture?.close();
  } finally {
    await stopOwnedProcesses();
  }
});

const linesBetween = (logs: LogLine[], from: number, to: number) =>
  logs.filter((line) => line.time !== undefined && Date.parse(line.time) >= from && Date.parse(line.time) <= to);

describe('PostgreSQL unreachable for longer than the call jobs retry', () => {
  it('keeps every outcome reported meanwhile, dials the calls whose jobs gave up, settles the campaign, and logs the outage once', async () => {
    const api = httpClient(system.url!, fixture.apiKey);
    const campaignId = (await api('POST', '/campaigns', campaignInput({ call_working_hours: ALL_WEEK, timezone: 'UTC' }))).body.id as string;
    const targets = Array.from({ length: TARGETS }, (_, i) => ({ phone: `+1718555${String(i).padStart(4, '0')}`, variables: { calls: ['answered'] } }));
    expect((await api('POST', `/campaigns/${campaignId}/targets`, targets)).body.inserted).toBe(TARGETS);

    // Calls last 30 ms, but once holding starts, HELD_CALLS calls stay up until released.
    let holding = false;
    const held: Array<() => void> = [];
    dialer = startScriptedDialer({
      redisUrl: fixture.redisUrl,
      prefix: fixture.prefix,
      concurrency: 20,
      claimTimeoutMs: 5_000,
      callDuration: () =>
        holding && held.length < HELD_CALLS ? new Promise<void>((resolve) => held.push(resolve)) : new Promise((resolve) => setTimeout(resolve, 30)),
    });
    expect((await api('POST', `/campaigns/${campaignId}/start`)).status).toBe(200);
    await eventually(
      async () => dialer!.placed.length,
      (n) => n >= 40,
      60_000,
    );
    holding = true;
    await eventually(
      async () => held.length,
      (n) => n === HELD_CALLS,
      30_000,
    );

    // The outage begins while the system's transactions are open: a transaction of the test
    // holds the campaign row until some wait for it, then the proxy cuts every connection.
    const blocker = await fixture.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM campaigns WHERE id = $1 FOR UPDATE', [campaignId]);
    await eventually(
      async () =>
        (
          await fixture.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)
        )[0]!.n,
      (n) => n >= 1,
    );
    const outageStart = Date.now();
    await proxy.close();
    await blocker.query('COMMIT');
    blocker.release();
    // Well into the outage, the held calls end: their outcomes reach Redis, not PostgreSQL.
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    const heldCalls = dialer.placed.filter((call) => call.hungUpAt === undefined).map((call) => call.callId);
    expect(heldCalls).toHaveLength(HELD_CALLS);
    for (const release of held) release();
    // The outage lasts until every call job in Redis has used up its attempts (the process must
    // live through it).
    const givenUp = await eventually(
      async () => {
        if (!system.process.running()) throw new Error(`the system process died: ${JSON.stringify(system.logs.slice(-20))}`);
        return calls.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed');
      },
      (counts) => counts.waiting! + counts.prioritized! + counts.delayed! + counts.active! === 0 && counts.failed! > 0,
      150_000,
    );
    await proxy.open();
    const outageEnd = Date.now();
    expect(system.process.running()).toBe(true);

    await waitCampaignDone(campaignDatabaseReader(fixture), campaignId, { timeoutMs: 120_000 });
    const settledAt = Date.now();

    // Every outcome kept: each held call has the dialer's outcome, recorded after the outage,
    // by an outcome job that kept retrying past the old five attempts.
    const rows = await fixture.query<{ id: string; status: string; promotion: number; ended_at: Date }>(
      'SELECT id, status, promotion, ended_at FROM calls WHERE campaign_id = $1',
      [campaignId],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const id of heldCalls) {
      expect(byId.get(id)).toMatchObject({ status: 'answered' });
      expect(byId.get(id)!.ended_at.getTime()).toBeGreaterThanOrEqual(outageEnd - 1_000);
      const outcomeJob = await dispatch.getJob(`outcome-${id}-answered`);
      expect(outcomeJob?.attemptsMade).toBeGreaterThan(5);
      expect(outcomeJob?.finishedOn).toBeDefined();
    }

    // Nothing lost, nothing doubled: one call per target, each placed exactly once; the jobs
    // that gave up were put back by the reconciler and placed under their next promotion.
    expect(rows).toHaveLength(TARGETS);
    expect(rows.every((row) => row.status === 'answered')).toBe(true);
    const dials = dialer.dialsPerCall();
    expect(rows.filter((row) => dials.get(row.id) !== 1)).toEqual([]);
    const repromoted = rows.filter((row) => row.promotion > 1).length;
    expect(repromoted).toBeGreaterThanOrEqual(givenUp.failed!);

    // The outage in the log: one error when it began, one info line when it ended, and no
    // error or warning per failed job or connection meanwhile.
    const metrics = await system.metrics();
    expect(metricValue(metrics, 'campaign_dependency_outages_total', { dependency: 'postgres' })).toBe(1);
    expect(metricValue(metrics, 'campaign_reconciled_total', { kind: 'work' })).toBeGreaterThanOrEqual(givenUp.failed!);
    const during = linesBetween(system.logs, outageStart, outageEnd);
    const errors = during.filter((line) => (line.level ?? 0) >= 50);
    expect(errors.map((line) => line.msg)).toEqual(['postgres is unreachable; retrying until it answers']);
    expect(during.filter((line) => (line.level ?? 0) === 40)).toEqual([]);
    const back = system.logs.filter((line) => line.msg === 'postgres answers again');
    expect(back).toHaveLength(1);
    expect(system.logs.filter((line) => line.msg === 'postgres is unreachable; retrying until it answers')).toHaveLength(1);

    console.log(
      `[faults] PostgreSQL outage of ${Math.round((outageEnd - outageStart) / 1000)} s: ${givenUp.failed} call jobs gave up and were reconciled; ` +
        `${HELD_CALLS} outcomes reported during it recorded ${Math.max(...heldCalls.map((id) => byId.get(id)!.ended_at.getTime())) - outageEnd} ms after it; ` +
        `campaign done ${settledAt - outageEnd} ms after it; log: ${errors.length} error line, ${back.length} info line`,
    );
  });
});

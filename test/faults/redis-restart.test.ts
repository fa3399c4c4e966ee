import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { JobName, QueueName } from '../../src/queues/names.js';
import { sql as sqlTag } from '../../src/db/sql.js';
import { eventually } from '../support/poll.js';
import { startScriptedDialer, type ScriptedDialer } from '../support/dialer.js';
import { ALL_WEEK, createCampaign, waitCampaignDone } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { metricValue } from '../support/metrics.js';
import { stopOwnedProcesses } from '../support/processes.js';
import { startOwnRedis } from '../support/redis-server.js';

/**
 * Redis killed (SIGKILL) in the middle of a running campaign and started again, empty (no
 * persistence) or from its append-only file. The system runs in this process against the
 * test's own Redis; the dialer is the exported helper, connected to the same Redis.
 */

const TARGETS = 300;
const HOPPER_INTERVAL_MS = 500;
const RECONCILE_INTERVAL_MS = 1_000;
const RECONCILE_GRACE_MS = 2_000;

let t: TestSystem | undefined;
let dialer: ScriptedDialer | undefined;
let appendOnlyDir: string | undefined;

afterEach(async () => {
  try {
    await dialer?.close();
    await t?.close();
  } finally {
    await stopOwnedProcesses();
    if (appendOnlyDir) rmSync(appendOnlyDir, { recursive: true, force: true });
    dialer = t = appendOnlyDir = undefined;
  }
});

/** Every third target answers its second attempt, the others their first: 400 calls in all. */
const scriptOf = (index: number) => (index % 3 === 0 ? ['no_answer', 'answered'] : ['answered']);

async function runThroughRedisCrash(persistence: 'none' | 'append-only') {
  appendOnlyDir = persistence === 'append-only' ? mkdtempSync(join(tmpdir(), 'cetest-aof-')) : undefined;
  const redis = await startOwnRedis({ appendOnlyDir });
  const system = await startTestSystem({
    REDIS_URL: redis.url,
    HOPPER_INTERVAL_MS: String(HOPPER_INTERVAL_MS),
    RECONCILE_INTERVAL_MS: String(RECONCILE_INTERVAL_MS),
    RECONCILE_GRACE_MS: String(RECONCILE_GRACE_MS),
    // A call whose outcome Redis lost (acknowledged, then gone with an empty Redis) times out.
    CALL_OUTCOME_TIMEOUT_SECONDS: '15',
  });
  t = system;
  // Read from the registry: no scrape, so no read of the queue depths from Redis.
  const metric = async (name: string, labels: Record<string, string> = {}) =>
    metricValue(await system.system.deps.metrics.registry.getSingleMetricAsString(name), name, labels);

  const targets = Array.from({ length: TARGETS }, (_, i) => ({ phone: `+1646555${String(i).padStart(4, '0')}`, variables: { calls: scriptOf(i) } }));
  const campaignId = await createCampaign(system, { settings: { call_attempt_delays: [0], call_working_hours: ALL_WEEK, timezone: 'UTC' }, targets });
  const expectedCalls = targets.reduce((sum, target) => sum + target.variables.calls.length, 0);

  dialer = startScriptedDialer({ redisUrl: redis.url, prefix: system.config.QUEUE_PREFIX, concurrency: 5, callDuration: 40, claimTimeoutMs: 3_000 });
  const placed = dialer.placed;
  expect((await system.api('POST', `/campaigns/${campaignId}/start`)).statusCode).toBe(200);

  // Mid-campaign: about a third of the calls placed, the rest promoted and waiting in Redis.
  await eventually(
    async () => placed.length,
    (n) => n >= expectedCalls / 3,
    60_000,
  );
  // Redis dies while the guard is deciding claims: a transaction of the test holds the campaign
  // row until claims wait for it, Redis is killed, then the claims commit (the calls are handed
  // out) and their answers cannot reach the dialer.
  let killedAt: number;
  const blocker = new pg.Client({ connectionString: system.config.DATABASE_URL });
  await blocker.connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM campaigns WHERE id = $1 FOR UPDATE', [campaignId]);
    const dispatch = system.system.queues.get(QueueName.Dispatch);
    await eventually(
      async () => (await dispatch.getJobs(['active'])).filter((job) => job?.name === JobName.Claim).length,
      (n) => n >= 2,
    );
    killedAt = Date.now();
    await redis.stop();
    await eventually(
      () => metric('campaign_dependency_up', { dependency: 'redis' }),
      (up) => up === 0,
    );
    await blocker.query('COMMIT');
  } finally {
    await blocker.end();
  }
  // The outage lasts a little longer than the reconciler's grace.
  await new Promise((resolve) => setTimeout(resolve, RECONCILE_GRACE_MS));
  await redis.start();
  const returnedAt = Date.now();
  const placedBeforeReturn = placed.length;

  // A timeout says what was left: rows by status and promotion, and the passes of the hopper and reconciler.
  const explain = async () => {
    const rows = await system.system.db.sql.query(sqlTag`
      SELECT status, promoted_at IS NOT NULL AS promoted, promotion, count(*)::int AS n FROM calls
      WHERE campaign_id = ${campaignId}::uuid GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`);
    const targetsLeft = await system.system.db.sql.query(sqlTag`
      SELECT state, has_pending, count(*)::int AS n FROM targets WHERE campaign_id = ${campaignId}::uuid GROUP BY 1, 2`);
    const rollouts = await system.system.db.sql.query(sqlTag`SELECT kind, finished_at FROM rollouts WHERE campaign_id = ${campaignId}::uuid`);
    return (
      `calls ${JSON.stringify(rows)}; targets ${JSON.stringify(targetsLeft)}; rollouts ${JSON.stringify(rollouts)}; ` +
      `hopper passes ${await metric('campaign_hopper_passes_total')}; reconciled ${await metric('campaign_reconciled_total', { kind: 'work' })}; ` +
      `dialer failures ${JSON.stringify(dialer!.failures.slice(-5))}`
    );
  };
  await waitCampaignDone(system, campaignId, { timeoutMs: 120_000, explain });
  const doneAt = Date.now();

  const calls = await system.prisma.call.findMany({ where: { campaignId }, orderBy: [{ targetId: 'asc' }, { attempt: 'asc' }] });
  const dials = dialer.dialsPerCall();
  return {
    campaignId,
    calls,
    dials,
    placed,
    expectedCalls,
    killedAt,
    returnedAt,
    placedBeforeReturn,
    doneAt,
    reconciled: await metric('campaign_reconciled_total', { kind: 'work' }),
    redisOutages: await metric('campaign_dependency_outages_total', { dependency: 'redis' }),
    postgresOutages: await metric('campaign_dependency_outages_total', { dependency: 'postgres' }),
    unansweredClaims: dialer.failures.filter(({ failure }) => failure.stage === 'claim').length,
    firstDialAfterReturn: placed.slice(placedBeforeReturn).reduce((first, call) => Math.min(first, call.dialedAt), Infinity),
    firstRepromotedDial: placed.filter((call) => call.promotion > 1).reduce((first, call) => Math.min(first, call.dialedAt), Infinity),
  };
}

describe('Redis killed during a running campaign', () => {
  it('restarted empty: the reconciler puts the lost jobs back, every call is placed exactly once, the campaign completes', async () => {
    const run = await runThroughRedisCrash('none');

    // Nothing doubled: no call row was dialed twice, and each target has one row per attempt.
    expect([...run.dials.values()].filter((n) => n > 1)).toEqual([]);
    const perTarget = new Map<string, number>();
    for (const call of run.calls) perTarget.set(call.targetId, (perTarget.get(call.targetId) ?? 0) + 1);
    expect(perTarget.size).toBe(TARGETS);
    expect(new Set(run.calls.map((call) => `${call.targetId}/${call.attempt}`)).size).toBe(run.calls.length);

    // Nothing lost: every call row was dialed. An empty Redis may only have lost outcomes it had
    // acknowledged before it died: such a call ends timed_out, and was hung up before the kill.
    expect(run.calls.filter((call) => !run.dials.has(call.id)).map((call) => call.status)).toEqual([]);
    const timedOut = run.calls.filter((call) => call.status === 'timed_out');
    const hungUp = new Map(run.placed.map((call) => [call.callId, call.hungUpAt ?? Infinity]));
    expect(timedOut.filter((call) => hungUp.get(call.id)! >= run.killedAt)).toEqual([]);
    // The outcome recorded is the one the dialer reported; targets got their scripted attempts.
    const reported = new Map(run.placed.map((call) => [call.callId, call.outcome.status]));
    for (const call of run.calls.filter((row) => row.status !== 'timed_out')) expect(call.status).toBe(reported.get(call.id));
    const endedEarly = new Set(timedOut.map((call) => call.targetId));
    expect(run.calls.length + endedEarly.size).toBeGreaterThanOrEqual(run.expectedCalls);
    expect(run.calls.length).toBeLessThanOrEqual(run.expectedCalls);

    // Claims the guard answered while Redis died were asked again, and placed.
    expect(run.unansweredClaims).toBeGreaterThan(0);
    // The lost jobs were found by the reconciler and promoted again (promotion 2).
    expect(run.reconciled).toBeGreaterThan(0);
    expect(run.placed.some((call) => call.promotion > 1)).toBe(true);
    // One Redis outage, counted once, and not mistaken for a PostgreSQL one.
    expect(run.redisOutages).toBe(1);
    expect(run.postgresOutages).toBe(0);
    const recoveryMs = run.firstRepromotedDial - run.returnedAt;
    console.log(
      `[faults] Redis restarted empty: ${run.reconciled} rows reconciled; first call of a re-promoted job ${recoveryMs} ms after Redis returned; ` +
        `dialing resumed after ${run.firstDialAfterReturn - run.returnedAt} ms; campaign done ${run.doneAt - run.returnedAt} ms after; ` +
        `${timedOut.length} outcomes lost with Redis (timed out); ${run.unansweredClaims} claims unanswered during the outage`,
    );
    // Recovery: the lost rows are older than the grace when Redis returns (the outage lasted
    // longer), so one reconciler pass and one hopper pass, and a claim (3 s of slack for a loaded
    // machine).
    expect(recoveryMs).toBeLessThan(RECONCILE_INTERVAL_MS + HOPPER_INTERVAL_MS + 3_000);
  });

  it('restarted from its append-only file: nothing is lost, nothing doubled, nothing needs reconciling', async () => {
    const run = await runThroughRedisCrash('append-only');

    expect([...run.dials.values()].filter((n) => n > 1)).toEqual([]);
    expect(run.calls).toHaveLength(run.expectedCalls);
    expect(run.calls.filter((call) => !run.dials.has(call.id))).toEqual([]);
    const reported = new Map(run.placed.map((call) => [call.callId, call.outcome.status]));
    for (const call of run.calls) expect(call.status).toBe(reported.get(call.id));
    expect(run.unansweredClaims).toBeGreaterThan(0);
    // Redis kept every job: none had to be put back, none was promoted twice.
    expect(run.reconciled).toBe(0);
    expect(run.calls.every((call) => call.promotion === 1)).toBe(true);
    expect(run.redisOutages).toBe(1);
    expect(run.postgresOutages).toBe(0);
    console.log(
      `[faults] Redis restarted from AOF: ${run.unansweredClaims} claims unanswered during the outage; dialing resumed ${run.firstDialAfterReturn - run.returnedAt} ms after Redis returned; ` +
        `campaign done ${run.doneAt - run.returnedAt} ms after`,
    );
  });
});

import type { ConnectionOptions } from 'bullmq';
import { Cluster } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { sql as sqlTag } from '../../src/db/sql.js';
import { ALL_WEEK, createCampaign, waitCampaignDone } from '../support/campaigns.js';
import { startScriptedDialer, type ScriptedDialer } from '../support/dialer.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { metricValue } from '../support/metrics.js';
import { eventually, until } from '../support/poll.js';
import { stopOwnedProcesses } from '../support/processes.js';
import { QueueName, queuePrefix } from '../../src/queues/names.js';
import { startRedisCluster } from '../support/redis-cluster.js';
import { SENTINEL_NAME, startRedisSentinel } from '../support/redis-sentinel.js';

/**
 * A Redis primary killed (SIGKILL) in the middle of a 5,000-target campaign, its replica taking
 * over: behind Sentinel (one primary, one replica, three sentinels), and in a Redis Cluster (three
 * primaries with a replica each; the one killed holds the queue of call jobs). Replication is asynchronous,
 * so the last writes before the kill may be lost: the reconciler puts back promoted jobs the new
 * primary lacks, and a call whose outcome report was lost times out. The dialer is the exported
 * helper.
 */

const TARGETS = 5_000;
const HOPPER_INTERVAL_MS = 500;
const RECONCILE_INTERVAL_MS = 1_000;
const RECONCILE_GRACE_MS = 2_000;

let t: TestSystem | undefined;
let dialer: ScriptedDialer | undefined;

afterEach(async () => {
  try {
    await dialer?.close();
    await t?.close();
  } finally {
    await stopOwnedProcesses();
    dialer = t = undefined;
  }
});

interface Topology {
  env: Record<string, string>;
  connection: ConnectionOptions;
  /** Kills the primary (of the system's queues); resolves with the instant of the kill once a replica serves in its place. */
  failOver(system: TestSystem, metric: (name: string) => Promise<number>): Promise<number>;
}

async function runThroughFailover(topology: Topology) {
  const system = await startTestSystem({
    ...topology.env,
    HOPPER_INTERVAL_MS: String(HOPPER_INTERVAL_MS),
    RECONCILE_INTERVAL_MS: String(RECONCILE_INTERVAL_MS),
    RECONCILE_GRACE_MS: String(RECONCILE_GRACE_MS),
    // A call whose outcome report the old primary acknowledged and never replicated times out.
    CALL_OUTCOME_TIMEOUT_SECONDS: '15',
    // A budget of jobs in Redis the dialer takes a few seconds to work through, so jobs wait in
    // Redis and the hopper keeps promoting while the primary dies.
    HOPPER_MAX_PROMOTED_PER_CAMPAIGN: '1000',
  });
  t = system;
  const metric = async (name: string, labels: Record<string, string> = {}) =>
    metricValue(await system.system.deps.metrics.registry.getSingleMetricAsString(name), name, labels);
  const targets = Array.from({ length: TARGETS }, (_, i) => ({ phone: `+1646556${String(i).padStart(4, '0')}`, variables: { calls: ['answered'] } }));
  const campaignId = await createCampaign(system, { settings: { call_attempt_delays: [], call_working_hours: ALL_WEEK, timezone: 'UTC' }, targets });

  dialer = startScriptedDialer({
    redisUrl: system.config.REDIS_URL,
    connection: topology.connection,
    prefix: system.config.QUEUE_PREFIX,
    concurrency: 20,
    callDuration: 40,
    claimTimeoutMs: 3_000,
  });
  const placed = dialer.placed;
  expect((await system.api('POST', `/campaigns/${campaignId}/start`)).statusCode).toBe(200);
  await eventually(
    async () => placed.length,
    (n) => n >= TARGETS / 3,
    120_000,
  );
  const killedAt = await topology.failOver(system, (name) => metric(name));
  const failedOverAt = Date.now();
  const explain = async () => {
    const rows = await system.system.db.sql.query(sqlTag`
      SELECT status, promoted_at IS NOT NULL AS promoted, promotion, count(*)::int AS n FROM calls
      WHERE campaign_id = ${campaignId}::uuid GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`);
    return `calls ${JSON.stringify(rows)}; reconciled ${await metric('campaign_reconciled_total', { kind: 'work' })}; dialer failures ${JSON.stringify(dialer!.failures.slice(-5))}`;
  };
  await waitCampaignDone(system, campaignId, { timeoutMs: 180_000, explain });
  const doneAt = Date.now();
  const calls = await system.prisma.call.findMany({ where: { campaignId } });
  return {
    calls,
    placed,
    dials: dialer.dialsPerCall(),
    killedAt,
    failedOverAt,
    doneAt,
    reconciled: await metric('campaign_reconciled_total', { kind: 'work' }),
    workersReplaced: await metric('campaign_workers_replaced_total'),
  };
}

function expectNothingDoubledNothingLost(run: Awaited<ReturnType<typeof runThroughFailover>>, label: string) {
  // One call row per target (one attempt each), none dialed twice.
  expect(run.calls).toHaveLength(TARGETS);
  expect(new Set(run.calls.map((call) => call.targetId)).size).toBe(TARGETS);
  expect([...run.dials.values()].filter((n) => n > 1)).toEqual([]);
  // Every call row was dialed; its outcome is the one reported, or, when the old primary lost
  // the report, timed_out for a call that had hung up before the kill.
  expect(run.calls.filter((call) => !run.dials.has(call.id)).map((call) => call.status)).toEqual([]);
  const hungUp = new Map(run.placed.map((call) => [call.callId, call.hungUpAt ?? Infinity]));
  const timedOut = run.calls.filter((call) => call.status === 'timed_out');
  const brief = (call: (typeof run.calls)[number]) => ({
    id: call.id,
    status: call.status,
    hungUpAfterKillMs: (hungUp.get(call.id) ?? Infinity) - run.killedAt,
  });
  expect(timedOut.filter((call) => hungUp.get(call.id)! >= run.killedAt).map(brief), 'timed out, though hung up after the kill').toEqual([]);
  expect(run.calls.filter((call) => call.status !== 'timed_out' && call.status !== 'answered').map(brief), 'neither answered nor timed out').toEqual([]);
  console.log(
    `[faults] ${label}: failover took ${run.failedOverAt - run.killedAt} ms; ${run.reconciled} promoted rows put back by the reconciler; ` +
      `${timedOut.length} outcomes lost with the old primary (timed out); campaign done ${run.doneAt - run.failedOverAt} ms after the failover; ` +
      `${run.placed.length} calls placed for ${TARGETS} targets; ${run.workersReplaced} workers replaced for taking no due job`,
  );
}

describe('a Redis primary killed during a 5,000-target campaign, its replica taking over', () => {
  it('behind Sentinel (1 primary, 1 replica, 3 sentinels), the last writes lost: every target called once, the campaign completes', async () => {
    const redis = await startRedisSentinel('data-nodes-password', 'sentinels-password');
    let lostBytes = 0;
    const run = await runThroughFailover({
      env: {
        REDIS_SENTINELS: redis.sentinels,
        REDIS_SENTINEL_NAME: SENTINEL_NAME,
        REDIS_SENTINEL_PASSWORD: 'sentinels-password',
        REDIS_PASSWORD: 'data-nodes-password',
      },
      connection: {
        sentinels: redis.sentinelNodes,
        name: SENTINEL_NAME,
        sentinelPassword: 'sentinels-password',
        password: 'data-nodes-password',
        maxRetriesPerRequest: null,
      },
      failOver: async (_system, metric) => {
        // Replication cut first: what the primary takes from then on (promoted jobs, claims,
        // reports, jobs taken and finished) is lost with it, as asynchronous replication can lose.
        // Two hopper passes in that stretch, so jobs promoted then are among the losses.
        const passes = await metric('campaign_hopper_passes_total');
        await redis.cutReplication();
        await eventually(
          () => metric('campaign_hopper_passes_total'),
          (now) => now >= passes + 2,
          30_000,
        );
        lostBytes = await redis.replicationLag();
        const killedAt = Date.now();
        await redis.kill(redis.primaryPort);
        await eventually(
          () => redis.primary(),
          (port) => port === redis.replicaPort,
          30_000,
        );
        return killedAt;
      },
    });
    expectNothingDoubledNothingLost(run, `Sentinel primary killed ${lostBytes} replication bytes after the replica was cut off`);
    // The jobs promoted in the lost stretch were missing on the new primary: the reconciler gave
    // their rows back and they were dialed once.
    expect(run.reconciled).toBeGreaterThan(0);
  }, 300_000);

  it('in a Redis Cluster (3 primaries, a replica each), the last writes lost: every target called once, the campaign completes', async () => {
    const cluster = await startRedisCluster({ primaries: 3, replicas: 1, nodeTimeoutMs: 2_000 });
    const connection = new Cluster(
      cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
      { redisOptions: { maxRetriesPerRequest: null }, retryDelayOnFailover: 200, retryDelayOnClusterDown: 200, retryDelayOnTryAgain: 200, maxRedirections: 64 },
    );
    connection.on('error', () => undefined); // the killed node's connection fails until the cluster moves on
    try {
      const run = await runThroughFailover({
        env: { REDIS_CLUSTER_NODES: cluster.nodes },
        connection,
        failOver: async (system, metric) => {
          const prefix = system.config.QUEUE_PREFIX;
          // Any key of the call jobs' queue names its slot.
          const callsKey = `${queuePrefix(prefix, QueueName.Calls, true)}:${QueueName.Calls}:wait`;
          const primary = await cluster.primaryOf(callsKey);
          // As behind Sentinel: the primary's last writes, two hopper passes' worth, never reach its replica.
          const passes = await metric('campaign_hopper_passes_total');
          await cluster.cutReplication(primary);
          await eventually(
            () => metric('campaign_hopper_passes_total'),
            (now) => now >= passes + 2,
            30_000,
          );
          const killedAt = Date.now();
          await cluster.kill(primary);
          await until("a replica to serve the killed primary's slots", async () => {
            const owner = await cluster.primaryOf(callsKey);
            return owner !== primary && (await cluster.roles()).get(owner) === 'master';
          });
          return killedAt;
        },
      });
      expectNothingDoubledNothingLost(run, 'Cluster primary killed after its replica was cut off');
      expect(run.reconciled).toBeGreaterThan(0);
    } finally {
      await dialer?.close(); // before the connection it shares
      dialer = undefined;
      connection.disconnect();
    }
  }, 300_000);
});

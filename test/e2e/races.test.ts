import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptCommands, failPendingCommand, insertCommands } from '../../src/db/repositories/commands.js';
import { sql } from '../../src/db/sql.js';
import { QueueName } from '../../src/queues/names.js';
import { recordCallOutcomes } from '../../src/services/call-outcomes.js';
import { claimWork } from '../../src/services/dispatch.js';
import { promoteDueWork } from '../../src/services/hopper.js';
import { createSettler, runLifecycleCommand } from '../../src/services/lifecycle.js';
import { reconcile } from '../../src/services/reconciler.js';
import { runRollouts } from '../../src/services/rollouts.js';
import type { LifecycleCommand } from '../../src/domain/lifecycle.js';
import { eventually } from '../support/poll.js';
import { ALL_WEEK, createCampaign, ONE_TARGET } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { closeOnOwnRedis, startOwnRedis, type OwnRedis } from '../support/redis-server.js';
import { startDatabaseProxy } from '../support/tcp-proxy.js';

/**
 * Races, made deterministic: the test holds a lock (or suspends or kills Redis) at the point
 * where the interleaving matters, or plays a request that died at a given step, and drives the
 * use cases itself (the API process runs no workers), so each step happens exactly when the
 * test says.
 */

let redis: OwnRedis;
let t: TestSystem;

beforeAll(async () => {
  redis = await startOwnRedis();
  // A command left pending is failed after REDIS_COMMAND_TIMEOUT_MS + 2 s.
  t = await startTestSystem({ REDIS_URL: redis.url, COMMAND_WAIT_MS: '0', REDIS_COMMAND_TIMEOUT_MS: '500' }, 'api');
});
afterAll(() => closeOnOwnRedis(redis, t));

const deps = () => t.system.deps;

const campaignWith = (targets: number, settings: Record<string, unknown> = {}) =>
  createCampaign(t, {
    settings: { call_working_hours: ALL_WEEK, timezone: 'UTC', ...settings },
    targets: Array.from({ length: targets }, (_, i) => ({ phone: `+1503555${String(i).padStart(4, '0')}` })),
  });

/** A lifecycle command recorded as the API records it (pending until its job is confirmed queued). */
async function recorded(campaignId: string, name: LifecycleCommand, options: { idempotencyKey?: string; createdAt?: Date } = {}) {
  const [row] = await insertCommands(t.system.db.sql, [
    {
      id: randomUUID(),
      organizationId: t.org.id,
      campaignId,
      name,
      params: {},
      actor: 'test',
      requestId: randomUUID(),
      idempotencyKey: options.idempotencyKey ?? null,
      createdAt: options.createdAt ?? new Date(),
    },
  ]);
  return row!;
}

/** A lifecycle command recorded as the API records it, its job queued; the test applies it (no worker runs). */
async function command(campaignId: string, name: LifecycleCommand): Promise<string> {
  const { id } = await recorded(campaignId, name);
  expect(await acceptCommands(t.system.db.sql, [id])).toEqual(new Set([id]));
  return id;
}

async function apply(campaignId: string, name: LifecycleCommand) {
  const { result } = await runLifecycleCommand(deps(), await command(campaignId, name));
  if (!result) throw new Error(`the ${name} command was not applied`);
  return result;
}

/** Started (or running again), its rollout run: rounds opened, rows waiting unpromoted. */
async function started(campaignId: string) {
  expect((await apply(campaignId, 'start')).ok).toBe(true);
  await runRollouts(deps());
}

const status = async (campaignId: string) => (await t.prisma.campaign.findUniqueOrThrow({ where: { id: campaignId } })).status;
const callsOf = (campaignId: string) => t.prisma.call.findMany({ where: { campaignId }, orderBy: { attempt: 'asc' } });

/** Backends of the test's database waiting for a lock, or idle inside an open transaction. */
async function waiting(state: 'lock' | 'idle in transaction'): Promise<number> {
  const condition = state === 'lock' ? sql`wait_event_type = 'Lock'` : sql`state = 'idle in transaction'`;
  const [row] = await t.system.db.sql.query<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND ${condition}`,
  );
  return row!.n;
}

/** Places every promoted call of the campaign (dispatch guard, then the answered outcome). */
async function placeAll(campaignId: string) {
  const promoted = (await callsOf(campaignId)).filter((call) => call.promotedAt !== null);
  const decisions = await claimWork(
    deps(),
    promoted.map((call) => ({ channel: 'call' as const, id: call.id, promotion: call.promotion })),
  );
  expect(decisions.map((decision) => ('kind' in decision ? decision.kind : decision.message))).toEqual(promoted.map(() => 'dial'));
  await recordCallOutcomes(
    deps(),
    promoted.map((call) => ({ callId: call.id, status: 'answered' as const })),
  );
}

describe('an outcome recorded while complete commits', () => {
  it('never writes a scheduled next attempt into a done campaign', async () => {
    const campaignId = await campaignWith(1, { call_attempt_delays: [0] });
    await started(campaignId);
    await promoteDueWork(deps());
    const [call] = await callsOf(campaignId);
    expect(await claimWork(deps(), [{ channel: 'call', id: call!.id, promotion: call!.promotion }])).toEqual([{ kind: 'dial' }]);

    // The outcome is held after it has read the campaign: a transaction of the test holds the
    // call's row, which outcome recording locks after the campaign and the target.
    const blocker = new pg.Client({ connectionString: t.config.DATABASE_URL });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM calls WHERE id = $1 FOR UPDATE', [call!.id]);
      const outcome = recordCallOutcomes(deps(), [{ callId: call!.id, status: 'no_answer' }]);
      await eventually(
        () => waiting('lock'),
        (n) => n === 1,
      );
      // Complete now: it must wait for the outcome (or, if it could go ahead, it would commit here).
      let completed = false;
      const complete = apply(campaignId, 'complete').then((result) => ((completed = true), result));
      await eventually(async () => completed || (await waiting('lock')) === 2, Boolean);
      await blocker.query('COMMIT');
      expect((await outcome)[0]).toMatchObject({ status: 'no_answer' });
      expect((await complete).ok).toBe(true);
    } finally {
      await blocker.end();
    }

    expect(await status(campaignId)).toBe('done');
    const calls = await callsOf(campaignId);
    expect(calls.map((row) => [row.attempt, row.status])).toEqual([
      [1, 'no_answer'],
      [2, 'canceled'],
    ]);
    expect(calls.filter((row) => row.status === 'scheduled')).toEqual([]);
    expect(await t.prisma.target.count({ where: { campaignId, hasPending: true } })).toBe(0);
  });
});

describe('a pause committing while the hopper promotes', () => {
  it('leaves no promoted row and no job behind, and the campaign settles once it runs again', async () => {
    const campaignId = await campaignWith(20);
    await started(campaignId);
    const jobs = async () =>
      (await t.system.queues.get(QueueName.Calls).getJobs(['waiting', 'prioritized', 'delayed', 'active'])).filter(
        (job) => job?.data.campaign_id === campaignId,
      );

    // The promotion batch is held between reading the campaign and recording its promotions:
    // Redis is suspended, so its addBulk waits (its rows locked, its transaction open).
    redis.freeze();
    let promotion: Promise<unknown> | undefined;
    let pause: Promise<unknown> | undefined;
    try {
      promotion = promoteDueWork(deps());
      await eventually(
        () => waiting('idle in transaction'),
        (n) => n === 1,
      );
      let paused = false;
      pause = apply(campaignId, 'pause').then((result) => ((paused = true), result));
      // The pause waits for the batch (or, if it could go ahead, it commits now).
      await eventually(async () => paused || (await status(campaignId)) === 'paused' || (await waiting('lock')) === 1, Boolean);
    } finally {
      redis.thaw();
    }
    await promotion;
    await pause;

    expect(await status(campaignId)).toBe('paused');
    expect((await callsOf(campaignId)).filter((call) => call.promotedAt !== null)).toEqual([]);
    expect(await jobs()).toEqual([]);

    // Running again: promoted under a new number, placed, and the campaign completes.
    await started(campaignId);
    await promoteDueWork(deps());
    expect((await callsOf(campaignId)).map((call) => call.promotion)).toEqual(Array.from({ length: 20 }, () => 2));
    await placeAll(campaignId);
    expect(await createSettler(deps())(campaignId)).toEqual({ completed: true });
  });
});

describe('the dispatch guard', () => {
  it('holding a job of a campaign that is not running un-promotes its row, so it is promoted again later', async () => {
    const campaignId = await campaignWith(1);
    await started(campaignId);
    await promoteDueWork(deps());
    const [call] = await callsOf(campaignId);
    // As if its job had escaped the pause's withdrawal: the campaign is paused, the row promoted.
    await t.prisma.campaign.update({ where: { id: campaignId }, data: { status: 'paused' } });

    const [decision] = await claimWork(deps(), [{ channel: 'call', id: call!.id, promotion: call!.promotion }]);
    expect(decision).toMatchObject({ kind: 'hold', reason: 'campaign_not_running' });
    expect((await callsOf(campaignId))[0]).toMatchObject({ status: 'scheduled', promotedAt: null });

    await started(campaignId);
    await promoteDueWork(deps());
    expect((await callsOf(campaignId))[0]).toMatchObject({ promotion: call!.promotion + 1 });
    // The escaped job's claim is stale now; the new one is placed.
    expect(await claimWork(deps(), [{ channel: 'call', id: call!.id, promotion: call!.promotion }])).toEqual([{ kind: 'drop', reason: 'superseded' }]);
    await placeAll(campaignId);
    expect(await createSettler(deps())(campaignId)).toEqual({ completed: true });
  });
});

const NOT_QUEUED = { detail: 'The command queue (Redis) is unavailable; nothing was changed. Retry shortly.' };
const startWithKey = (campaignId: string, key: string) => t.api('POST', `/campaigns/${campaignId}/start`, undefined, { 'idempotency-key': key });
const commandRow = (id: string) => t.prisma.command.findUniqueOrThrow({ where: { id } });

describe('one Idempotency-Key, its first request undecided', () => {
  it('a replay while Redis is down, of a command whose request died before queueing it, answers 503 (never 202) and fails it', async () => {
    const campaignId = await campaignWith(1);
    const key = `died-${campaignId}`;
    // The first request recorded its command and died before Redis took its job.
    const first = await recorded(campaignId, 'start', { idempotencyKey: key });
    await redis.stop();
    try {
      const replayed = await startWithKey(campaignId, key);
      expect({ status: replayed.statusCode, body: replayed.json() }).toEqual({ status: 503, body: NOT_QUEUED });
      // Its Location would show what happened: failed, with the same answer.
      expect((await t.api('GET', `/commands/${first.id}`)).json()).toMatchObject({ status: 'failed', result: { status_code: 503, body: NOT_QUEUED } });
    } finally {
      await redis.start();
    }
    // Redis back: a retry with the key goes ahead, a new command, really queued (202: no worker here).
    const retried = await eventually(
      () => startWithKey(campaignId, key),
      (response) => response.statusCode === 202,
    );
    expect(retried.json().command_id).not.toBe(first.id);
    expect((await t.api('GET', retried.headers.location as string)).json()).toMatchObject({ status: 'queued' });
    expect(await status(campaignId)).toBe('draft');
  });

  it('an insert that loses the key race to a request that then fails goes around again, and is queued', async () => {
    const campaignId = await campaignWith(1);
    const key = `lost-race-${campaignId}`;
    // The first request's command, failed (Redis refused its job), commits only once the second
    // request's insert of the same key waits on it.
    const blocker = new pg.Client({ connectionString: t.config.DATABASE_URL });
    await blocker.connect();
    let answer: ReturnType<typeof startWithKey>;
    try {
      await blocker.query('BEGIN');
      await blocker.query(
        `INSERT INTO commands (id, organization_id, campaign_id, name, actor, idempotency_key, status, created_at, finished_at)
         VALUES (gen_random_uuid(), $1, $2, 'start', 'test', $3, 'failed', now(), now())`,
        [t.org.id, campaignId, key],
      );
      answer = startWithKey(campaignId, key);
      await eventually(
        () => waiting('lock'),
        (n) => n === 1,
      );
      await blocker.query('COMMIT');
    } finally {
      await blocker.end();
    }
    const response = await answer;
    expect(response.statusCode, response.body).toBe(202);
    expect((await t.api('GET', response.headers.location as string)).json()).toMatchObject({ status: 'queued', campaign_id: campaignId });
  });
});

describe('a lifecycle job whose command is not confirmed queued yet', () => {
  it('waits for its request: applied once the request confirms it queued, not applied once the request failed it', async () => {
    const confirmed = await campaignWith(1);
    const accepted = await recorded(confirmed, 'start');
    const applying = runLifecycleCommand(deps(), accepted.id);
    expect(await acceptCommands(t.system.db.sql, [accepted.id])).toEqual(new Set([accepted.id]));
    expect((await applying).result).toMatchObject({ ok: true });
    expect(await status(confirmed)).toBe('running');

    const refused = await campaignWith(1);
    const failed = await recorded(refused, 'start');
    const skipping = runLifecycleCommand(deps(), failed.id);
    expect(await failPendingCommand(t.system.db.sql, failed.id, { ok: false }, new Date())).toBe(true);
    expect((await skipping).result).toBeNull();
    expect(await status(refused)).toBe('draft');
    expect((await commandRow(failed.id)).status).toBe('failed');
  });

  it('fails, and does not apply, a command whose request died undecided, once the decision window has passed', async () => {
    const campaignId = await campaignWith(1);
    const orphan = await recorded(campaignId, 'start');
    expect((await runLifecycleCommand(deps(), orphan.id)).result).toBeNull();
    expect(await commandRow(orphan.id)).toMatchObject({ status: 'failed', result: { ok: false, kind: 'unavailable', ...NOT_QUEUED } });
    expect(await status(campaignId)).toBe('draft');
  });

  it('the reconciler fails commands left pending by a request that died, and queues none of them', async () => {
    const campaignId = await campaignWith(1);
    const orphan = await recorded(campaignId, 'start', { createdAt: new Date(Date.now() - 3600_000) });
    expect(await reconcile(deps())).toMatchObject({ requeuedCommands: 0 });
    expect((await commandRow(orphan.id)).status).toBe('failed');
    expect(await t.system.queues.get(QueueName.Lifecycle).getJob(orphan.id)).toBeUndefined();
  });
});

describe('a command queued, then PostgreSQL unreachable while the API waits for its result', () => {
  it('answers 202 and its Location (the command is accepted and will be applied), never 503 "nothing was changed"', async () => {
    const proxy = await startDatabaseProxy();
    // No worker runs: the command stays queued, and the API waits for it until COMMAND_WAIT_MS.
    const cut = await startTestSystem({ COMMAND_WAIT_MS: '1500', DATABASE_CONNECT_TIMEOUT_MS: '500' }, 'api', {}, { databaseVia: proxy.via });
    try {
      const campaignId = await createCampaign(cut, { settings: { call_working_hours: ALL_WEEK }, targets: ONE_TARGET });
      const answer = cut.api('POST', `/campaigns/${campaignId}/start`);
      await eventually(
        () => cut.system.db.sql.query<{ status: string }>(sql`SELECT status FROM commands WHERE campaign_id = ${campaignId}::uuid`),
        (rows) => rows[0]?.status === 'queued',
      );
      await proxy.close();
      const response = await answer;
      expect(response.statusCode).toBe(202);
      const location = response.headers.location as string;
      expect(response.json()).toMatchObject({ command_id: location.replace('/commands/', ''), status: 'queued' });
      await proxy.open();
      expect((await cut.api('GET', location)).json()).toMatchObject({ status: 'queued', result: null });
    } finally {
      await proxy.open();
      await cut.close();
      await proxy.close();
    }
  });
});

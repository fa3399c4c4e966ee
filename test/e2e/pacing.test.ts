import { PACING_WINDOW_MS } from '../../src/domain/pacing.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDialerWorker, type CallJobData } from '../../src/dialer/index.js';
import { QueueName } from '../../src/queues/names.js';
import { cliOutput } from '../support/cli.js';
import { createTestClock } from '../support/clock.js';
import { uniqueName } from '../support/databases.js';
import { eventually } from '../support/poll.js';
import { createCampaign, waitCampaignDone } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';

// Monday 2026-11-30 10:00 UTC, inside the default 09:00–19:00 weekday window. Tests run in order
// and only ever move the clock forward.
const clock = createTestClock(new Date('2026-11-30T10:00:00Z'));
let t: TestSystem;
// A second system with the default horizon: its hopper queues a whole plan at once, as delayed jobs.
const backlogClock = createTestClock(new Date('2026-11-30T10:00:00Z'));
let backlog: TestSystem;

beforeAll(async () => {
  [t, backlog] = await Promise.all([
    startTestSystem(
      // A one-second horizon: a call is promoted (becomes a delayed job) only when it is about
      // due, so the clock can jump from due time to due time without waiting for real delays.
      { HOPPER_INTERVAL_MS: '100', SCHEDULE_HORIZON_SECONDS: '1', CONCURRENCY_RETRY_MS: '200' },
      'all',
      { clock: clock.now },
    ),
    startTestSystem({ HOPPER_INTERVAL_MS: '100' }, 'all', { clock: backlogClock.now }),
  ]);
});
afterAll(async () => {
  await t?.close();
  await backlog?.close();
});

const phones = (n: number, base: number) => Array.from({ length: n }, (_, i) => `+1303${String(base + i).padStart(7, '0')}`);

const start = async (id: string, headers?: Record<string, string>) =>
  expect((await t.api('POST', `/campaigns/${id}/start`, undefined, headers)).statusCode).toBe(200);
const campaignStatus = (id: string, headers?: Record<string, string>) =>
  t.api('GET', `/campaigns/${id}`, undefined, headers).then((r) => r.json().status as string);
const dialing = (campaignIds: string[]) => t.prisma.call.count({ where: { campaignId: { in: campaignIds }, status: 'dialing' } });

const holds = async () =>
  (await t.system.deps.metrics.dispatchDecisions.get()).values.find((value) => value.labels.channel === 'call' && value.labels.decision === 'hold')?.value ?? 0;

/**
 * A dialer (on the exported helper) whose calls for `gated` campaigns stay on the line until the
 * test hangs them up; it counts how many of those are on the line at once.
 */
function startSlowDialer(gated: Set<string>) {
  const onLine: Array<() => void> = [];
  const dials: Array<{ data: CallJobData; at: Date }> = [];
  let active = 0;
  let maxActive = 0;
  const helper = createDialerWorker({
    connection: { url: t.config.REDIS_URL, maxRetriesPerRequest: null },
    prefix: t.config.QUEUE_PREFIX,
    concurrency: 20,
    claimTimeoutMs: 10_000,
    handler: async (data) => {
      dials.push({ data, at: clock.now() });
      if (!gated.has(data.campaign_id)) return { status: 'answered', duration_s: 1 };
      active += 1;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((hangUp) => onLine.push(hangUp));
      active -= 1;
      return { status: 'answered', duration_s: 60 };
    },
  });
  return {
    dials,
    active: () => active,
    maxActive: () => maxActive,
    /** Ends the `n` oldest calls on the line. */
    hangUp: (n: number) => onLine.splice(0, n).forEach((hangUp) => hangUp()),
    close: async () => {
      onLine.splice(0).forEach((hangUp) => hangUp());
      await helper.close();
    },
  };
}

/**
 * Hangs up one gated call at a time, until every campaign is done, checking after each step that
 * the system never has more than `limit` of them dialing.
 */
async function drain(dialer: ReturnType<typeof startSlowDialer>, campaignIds: string[], limit: number, headers?: Record<string, string>) {
  for (let step = 0; step < 50; step++) {
    const statuses = await Promise.all(campaignIds.map((id) => campaignStatus(id, headers)));
    if (statuses.every((status) => status === 'done')) return;
    expect(await dialing(campaignIds)).toBeLessThanOrEqual(limit);
    const dialed = dialer.dials.length;
    dialer.hangUp(1);
    // The freed slot goes to a held call, if one is left.
    await eventually(
      async () => ({
        dialed: dialer.dials.length,
        waiting: await t.prisma.call.count({ where: { campaignId: { in: campaignIds }, status: 'scheduled' } }),
      }),
      (now) => now.dialed > dialed || now.waiting === 0,
    );
  }
  throw new Error('campaigns did not finish');
}

describe('max_calls_per_minute', () => {
  it('never puts more than the limit of dials in any 60 seconds, measured at the dialer', async () => {
    // 200 targets due at once. Half answer their first call; the others get a retry a minute
    // later, which competes with first attempts for the same minutes.
    const targets = phones(200, 0).map((phone, i) => ({ phone, variables: { calls: i % 2 === 0 ? ['answered'] : ['no_answer', 'answered'] } }));
    const id = await createCampaign(t, { settings: { max_calls_per_minute: 10, call_attempt_delays: [1] }, targets });
    const dials: Date[] = [];
    const dialed: CallJobData[] = [];
    const failures: unknown[] = [];
    const dialer = createDialerWorker({
      connection: { url: t.config.REDIS_URL, maxRetriesPerRequest: null },
      prefix: t.config.QUEUE_PREFIX,
      claimTimeoutMs: 10_000,
      onError: (error, failure) => failures.push({ ...failure, error: error instanceof Error ? error.message : error }),
      handler: async (data) => {
        dials.push(clock.now());
        dialed.push(data);
        const script = data.variables.calls as Array<'answered' | 'no_answer'>;
        return { status: script[data.attempt - 1] ?? 'answered' };
      },
    });
    // Read in one statement, one snapshot: three separate counts can miss a claim committing
    // between them, and the clock would then move while that call is being dialed.
    const quiet = async () =>
      (
        await t.system.db.pool.query<{ dialing: number; promoted: number; due: number }>(
          `SELECT count(*) FILTER (WHERE status = 'dialing')::int AS dialing,
                  count(*) FILTER (WHERE status = 'scheduled' AND promoted_at IS NOT NULL)::int AS promoted,
                  count(*) FILTER (WHERE status = 'scheduled' AND scheduled_for <= $2)::int AS due
             FROM calls WHERE campaign_id = $1`,
          [id, clock.now()],
        )
      ).rows[0]!;
    try {
      await start(id);
      const startedAt = clock.now().getTime();
      // Rounds open lazily: wait for the hopper to open every target's round.
      await eventually(
        () => t.prisma.call.count({ where: { campaignId: id } }),
        (n) => n >= targets.length,
      );
      // Drive the clock from due time to due time: several minutes of dials in a few seconds.
      // At least five minutes, and until a retry has been dialed (first attempts run out after
      // twenty, so the loop ends whatever order the retries and first attempts take).
      const minutes = 5;
      const retried = () => dialed.some((call) => call.attempt > 1);
      while (clock.now().getTime() - startedAt < minutes * 60_000 || !retried()) {
        await eventually(quiet, (now) => now.dialing === 0 && now.promoted === 0 && now.due === 0, 15_000, 20);
        const next = await t.prisma.call.findFirst({ where: { campaignId: id, status: 'scheduled' }, orderBy: { scheduledFor: 'asc' } });
        if (!next) break;
        clock.set(next.scheduledFor);
      }
      const times = dials.map((dial) => dial.getTime()).sort((a, b) => a - b);
      // Any 11 consecutive dials span at least a minute: no 60-second window holds 11.
      const spans = times.slice(10).map((time, i) => time - times[i]!);
      expect(Math.min(...spans)).toBeGreaterThanOrEqual(60_000);
      // Several minutes of dials at the limit (a hand-out every window / limit, the window a minute
      // plus the guard's margin), retries among them, and no claim failed.
      expect(times.length).toBeGreaterThanOrEqual(Math.floor((minutes * 60_000) / (PACING_WINDOW_MS / 10)));
      expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual((minutes - 1) * 60_000);
      const retries = await t.prisma.call.count({ where: { campaignId: id, attempt: 2, status: { not: 'scheduled' } } });
      expect(retries).toBeGreaterThan(0);
      expect(failures).toEqual([]);
      expect((await t.api('POST', `/campaigns/${id}/complete`)).statusCode).toBe(200);
    } finally {
      await dialer.close();
    }
  });
  it('paces a backlog of jobs that all came due while no dialer ran, at the dispatch guard', async () => {
    // The default horizon: the hopper queues the whole plan at once, as delayed jobs 6 s apart.
    const s = backlog;
    let dials = 0;
    let dialer: ReturnType<typeof createDialerWorker> | undefined;
    try {
      const id = await createCampaign(s, {
        settings: { max_calls_per_minute: 10, call_attempt_delays: [] },
        targets: phones(25, 5000).map((phone) => ({ phone })),
      });
      expect((await s.api('POST', `/campaigns/${id}/start`)).statusCode).toBe(200);
      const calls = s.system.queues.get(QueueName.Calls);
      await eventually(
        () => calls.getDelayedCount(),
        (n) => n === 24,
      );

      // No dialer ran for ten minutes: every job came due. Its delay elapsing is what BullMQ's
      // promote does; then a dialer starts and claims them all at once.
      backlogClock.advance(10 * 60_000);
      const [firstJob, ...otherJobs] = await calls.getDelayed();
      const holdsBefore = (await s.system.deps.metrics.dispatchDecisions.get()).values.find((v) => v.labels.decision === 'hold')?.value ?? 0;
      // Another worker process is deciding claims of this campaign (it holds the lock a paced
      // campaign's claims take), so the claims pile up in more than one batch behind it.
      const otherProcess = await s.system.db.pool.connect();
      await otherProcess.query('BEGIN');
      await otherProcess.query('SELECT 1 FROM campaigns WHERE id = $1 FOR NO KEY UPDATE', [id]);
      // Campaign lock statements waiting (asked on another connection: a transaction sees one
      // snapshot of pg_stat_activity). Matched on their start: pg_stat_activity cuts a long
      // statement's text short (track_activity_query_size), and the campaign columns are many.
      const waitingBatches = async () =>
        (
          await s.system.db.pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'SELECT k.id AS "id", k.organization_id AS%'`,
          )
        ).rows[0]!.n;
      dialer = createDialerWorker({
        connection: { url: s.config.REDIS_URL, maxRetriesPerRequest: null },
        prefix: s.config.QUEUE_PREFIX,
        concurrency: 100,
        claimTimeoutMs: 10_000,
        handler: async () => {
          dials += 1;
          return { status: 'answered' };
        },
      });
      try {
        // One claim first, then the rest: two batches, the second behind the first.
        await firstJob!.promote();
        await eventually(waitingBatches, (n) => n >= 1);
        for (const job of otherJobs) await job.promote();
        await eventually(waitingBatches, (n) => n >= 2);
      } finally {
        await otherProcess.query('COMMIT');
        otherProcess.release();
      }
      await eventually(
        async () => (await calls.getWaitingCount()) + (await calls.getPrioritizedCount()) + (await calls.getActiveCount()),
        (n) => n === 0,
      );
      const holds = ((await s.system.deps.metrics.dispatchDecisions.get()).values.find((v) => v.labels.decision === 'hold')?.value ?? 0) - holdsBefore;
      // The guard let ten through and held the rest.
      expect({ dials, holds }).toEqual({ dials: 10, holds: 15 });

      // Held until the first hand-outs have left the minute (as the guard records them: the
      // calls' dialing_at), then spread again by the hopper.
      const rows = await s.prisma.call.findMany({ where: { campaignId: id } });
      const handedOut = rows.filter((row) => row.dialingAt !== null).map((row) => row.dialingAt!.getTime());
      const heldRows = rows.filter((row) => row.status === 'scheduled');
      expect({ handedOut: handedOut.length, held: heldRows.length }).toEqual({ handedOut: 10, held: 15 });
      for (const row of heldRows) expect(row.scheduledFor.getTime()).toBeGreaterThanOrEqual(Math.min(...handedOut) + 60_000);
      expect((await s.api('POST', `/campaigns/${id}/complete`)).statusCode).toBe(200);
    } finally {
      await dialer?.close();
    }
  });
});

describe('max_concurrent_calls', () => {
  it('holds a campaign at its limit while a slow dialer keeps calls on the line; another campaign proceeds meanwhile', async () => {
    const limited = await createCampaign(t, {
      settings: { max_concurrent_calls: 2, call_attempt_delays: [] },
      targets: phones(6, 1000).map((phone) => ({ phone })),
    });
    const free = await createCampaign(t, { settings: { call_attempt_delays: [] }, targets: phones(4, 2000).map((phone) => ({ phone })) });
    const dialer = startSlowDialer(new Set([limited]));
    try {
      const holdsBefore = await holds();
      await start(limited);
      // Two calls on the line; the others were offered and held.
      await eventually(
        async () => ({ active: dialer.active(), holds: await holds() }),
        (now) => now.active === 2 && now.holds >= holdsBefore + 4,
      );
      expect(await dialing([limited])).toBe(2);

      await start(free);
      await waitCampaignDone(t, free);
      expect(dialer.dials.filter((dial) => dial.data.campaign_id === free)).toHaveLength(4);
      // Meanwhile the limited campaign still has exactly two calls on the line.
      expect({ active: dialer.active(), dialing: await dialing([limited]) }).toEqual({ active: 2, dialing: 2 });

      await drain(dialer, [limited], 2);
      expect(dialer.dials.filter((dial) => dial.data.campaign_id === limited)).toHaveLength(6);
      expect(dialer.maxActive()).toBe(2);
    } finally {
      await dialer.close();
    }
  });

  it("holds an organization's limit, set with the CLI, across its campaigns", async () => {
    const name = uniqueName('limited-org');
    const org = await t.newOrganization(name);
    const as = { 'x-api-key': org.apiKey };
    const printed = await cliOutput(['org', 'set-call-limit', '--org', name, '--max-concurrent-calls', '3'], { DATABASE_URL: t.config.DATABASE_URL });
    expect(printed.join('\n')).toContain('max concurrent calls 3');

    const first = await createCampaign(t, { settings: { call_attempt_delays: [] }, targets: phones(4, 3000).map((phone) => ({ phone })), headers: as });
    const second = await createCampaign(t, { settings: { call_attempt_delays: [] }, targets: phones(4, 4000).map((phone) => ({ phone })), headers: as });
    const dialer = startSlowDialer(new Set([first, second]));
    try {
      const holdsBefore = await holds();
      await start(first, as);
      await start(second, as);
      await eventually(
        async () => ({ active: dialer.active(), holds: await holds() }),
        (now) => now.active === 3 && now.holds >= holdsBefore + 5,
      );
      expect(await dialing([first, second])).toBe(3);

      await drain(dialer, [first, second], 3, as);
      expect(dialer.dials).toHaveLength(8);
      expect(dialer.maxActive()).toBe(3);
    } finally {
      await dialer.close();
    }
  });
});

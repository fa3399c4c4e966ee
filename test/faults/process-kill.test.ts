import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { JobName, QueueName } from '../../src/queues/names.js';
import { eventually } from '../support/poll.js';
import { startScriptedDialer, type ScriptedDialer } from '../support/dialer.js';
import { ALL_WEEK, campaignDatabaseReader, campaignInput, waitCampaignDone } from '../support/campaigns.js';
import { createProcessFixture, type ProcessFixture } from '../support/process-fixture.js';
import { stopOwnedProcesses } from '../support/processes.js';
import { httpClient, startSystemProcess, systemEnv, type SystemProcess } from '../support/system-process.js';

/**
 * The system process (`src/main.ts all`) killed with SIGKILL: in the middle of opening the
 * rounds of a 50,000-target start, and while it records outcomes and applies a command. A new
 * process on the same database and Redis carries on.
 */

let fixture: ProcessFixture | undefined;
let dialer: ScriptedDialer | undefined;
const queues: Queue[] = [];

afterEach(async () => {
  try {
    await dialer?.close();
    await Promise.all(queues.splice(0).map((queue) => queue.close()));
    await fixture?.close();
  } finally {
    await stopOwnedProcesses();
    dialer = fixture = undefined;
  }
});

const LARGE = 50_000;

const startSystem = (f: ProcessFixture, extra: Record<string, string> = {}) =>
  startSystemProcess(
    'all',
    systemEnv(
      { databaseUrl: f.databaseUrl, redisUrl: f.redisUrl, prefix: f.prefix },
      { HOPPER_INTERVAL_MS: '500', RECONCILE_INTERVAL_MS: '1000', RECONCILE_GRACE_MS: '2000', DATABASE_POOL_SIZE: '8', ...extra },
    ),
  );

const count = async (f: ProcessFixture, sql: string, values: unknown[]) => (await f.query<{ n: number }>(sql, values))[0]!.n;

describe('SIGKILL of the system process', () => {
  it('during a 50,000-target start: a new process opens the remaining rounds, none skipped or doubled', async () => {
    const f = (fixture = await createProcessFixture());
    // Small rollout batches and passes, so the opening of rounds spans many passes the kill can fall between.
    const env = { ROLLOUT_BATCH_SIZE: '1000', ROLLOUT_TARGETS_PER_PASS: '4000' };
    let system: SystemProcess = await startSystem(f, env);
    const api = () => httpClient(system.url!, f.apiKey);
    const campaignId = (await api()('POST', '/campaigns', campaignInput({ call_working_hours: ALL_WEEK, timezone: 'UTC' }))).body.id as string;
    const inserted = Date.now();
    await f.query(
      `INSERT INTO targets (id, campaign_id, phone, dedupe_key)
       SELECT gen_random_uuid(), $1, p, 'phone:' || p FROM (SELECT '+1212' || lpad(i::text, 7, '0') AS p FROM generate_series(1, $2::int) i) s`,
      [campaignId, LARGE],
    );
    const insertMs = Date.now() - inserted;
    const started = await api()('POST', `/campaigns/${campaignId}/start`);
    expect(started.status).toBe(200);
    expect(started.body.status).toBe('running');

    const opened = () => count(f, 'SELECT count(*)::int AS n FROM calls WHERE campaign_id = $1', [campaignId]);
    const kills: Array<{ openedAtKill: number; restartedMs: number }> = [];
    // Killed twice while rounds are being opened: once early, once past the middle.
    for (const threshold of [LARGE * 0.2, LARGE * 0.6]) {
      await eventually(opened, (n) => n >= threshold, 120_000);
      await system.kill('SIGKILL');
      const openedAtKill = await opened();
      const restarting = Date.now();
      system = await startSystem(f, env);
      kills.push({ openedAtKill, restartedMs: Date.now() - restarting });
    }
    const restartedAt = Date.now();
    await eventually(
      async () =>
        (await f.query<{ finished: boolean }>('SELECT bool_and(finished_at IS NOT NULL) AS finished FROM rollouts WHERE campaign_id = $1', [campaignId]))[0]!
          .finished,
      (finished) => finished,
      180_000,
    );
    const openedMs = Date.now() - restartedAt;

    // Every target has exactly one round-1 call; no target was skipped, none has two.
    const [calls] = await f.query<{ rows: number; targets: number; round1: number }>(
      `SELECT count(*)::int AS rows, count(DISTINCT target_id)::int AS targets, count(*) FILTER (WHERE round = 1 AND attempt = 1)::int AS round1
       FROM calls WHERE campaign_id = $1`,
      [campaignId],
    );
    expect(calls).toEqual({ rows: LARGE, targets: LARGE, round1: LARGE });
    expect(await count(f, 'SELECT count(*)::int AS n FROM targets WHERE campaign_id = $1 AND round <> 1', [campaignId])).toBe(0);
    expect((await api()('GET', `/campaigns/${campaignId}`)).body.status).toBe('running');
    expect(kills.every((kill) => kill.openedAtKill > 0 && kill.openedAtKill < LARGE)).toBe(true);
    console.log(
      `[faults] 50,000-target start: targets inserted by SQL in ${insertMs} ms; killed at ${kills.map((kill) => kill.openedAtKill).join(' and ')} rounds opened; ` +
        `restart took ${kills.map((kill) => kill.restartedMs).join(' and ')} ms; the last process opened the rest in ${openedMs} ms`,
    );
    await api()('POST', `/campaigns/${campaignId}/complete`);
  });

  it('while outcomes are recorded and a command is applied: after restart no outcome is lost and the command takes effect once', async () => {
    const f = (fixture = await createProcessFixture());
    const env = { COMMAND_WAIT_MS: '1000' };
    let system: SystemProcess = await startSystem(f, env);
    const api = () => httpClient(system.url!, f.apiKey);
    const busy = (await api()('POST', '/campaigns', campaignInput({ call_working_hours: ALL_WEEK, timezone: 'UTC', call_attempt_delays: [0] }))).body
      .id as string;
    const targets = Array.from({ length: 1_000 }, (_, i) => ({
      phone: `+1312555${String(i).padStart(4, '0')}`,
      variables: { calls: i % 2 ? ['answered'] : ['busy', 'answered'] },
    }));
    expect((await api()('POST', `/campaigns/${busy}/targets`, targets)).body.inserted).toBe(targets.length);
    const waiting = (await api()('POST', '/campaigns', campaignInput({ call_working_hours: ALL_WEEK, timezone: 'UTC' }))).body.id as string;
    await api()('POST', `/campaigns/${waiting}/targets`, [{ phone: '+13125559999' }]);

    dialer = startScriptedDialer({ redisUrl: f.redisUrl, prefix: f.prefix, concurrency: 20, callDuration: 10, claimTimeoutMs: 3_000 });
    const lifecycle = new Queue(QueueName.Lifecycle, { connection: { url: f.redisUrl }, prefix: f.prefix });
    const dispatch = new Queue(QueueName.Dispatch, { connection: { url: f.redisUrl }, prefix: f.prefix });
    queues.push(lifecycle, dispatch);
    expect((await api()('POST', `/campaigns/${busy}/start`)).status).toBe(200);
    await eventually(
      async () => dialer!.placed.length,
      (n) => n >= 400,
      60_000,
    );

    // The kill falls inside the transactions: a transaction of the test holds both campaign rows
    // until outcome recording and the start command wait for them inside theirs.
    const blocker = await f.connect();
    let killedAt: number;
    try {
      await blocker.query('BEGIN');
      // Outcome recording takes the busy campaign's row FOR KEY SHARE: FOR UPDATE holds it. The
      // command's own row may still be inserted (its foreign key takes FOR KEY SHARE too): FOR
      // NO KEY UPDATE lets that through and holds the lifecycle worker's FOR UPDATE.
      await blocker.query('SELECT 1 FROM campaigns WHERE id = $1 FOR UPDATE', [busy]);
      await blocker.query('SELECT 1 FROM campaigns WHERE id = $1 FOR NO KEY UPDATE', [waiting]);
      const accepted = await api()('POST', `/campaigns/${waiting}/start`);
      expect(accepted.status).toBe(202);
      // Held there: the command's job and outcome jobs stay active, their statements wait.
      await eventually(
        async () => ({
          waiting: await count(f, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`, []),
          command: (await lifecycle.getJobs(['active'])).filter((job) => job?.name === JobName.LifecycleCommand).length,
          outcomes: (await dispatch.getJobs(['active'])).filter((job) => job?.name === JobName.CallOutcome).length,
        }),
        (held) => held.waiting >= 2 && held.command === 1 && held.outcomes >= 1,
      );
      killedAt = Date.now();
      await system.kill('SIGKILL');
      await blocker.query('COMMIT');
    } finally {
      blocker.release();
    }
    const reportedBeforeRestart = dialer.placed.filter((call) => call.hungUpAt !== undefined).length;
    system = await startSystem(f, env);
    const restartedAt = Date.now();

    const campaigns = campaignDatabaseReader(f);
    // Applied: out of draft (it may already have run its one call and completed).
    await eventually(
      () => campaigns.status(waiting),
      (value) => value !== 'draft',
      120_000,
    );
    const commandMs = Date.now() - restartedAt;
    await waitCampaignDone(campaigns, busy, { timeoutMs: 120_000 });
    const doneMs = Date.now() - restartedAt;

    // Every outcome the dialer reported is recorded, and every call was placed once.
    const rows = await f.query<{ id: string; status: string }>('SELECT id, status FROM calls WHERE campaign_id = $1', [busy]);
    expect(rows).toHaveLength(1_500);
    const reported = new Map(dialer.placed.map((call) => [call.callId, call.outcome.status]));
    expect(rows.filter((row) => row.status !== reported.get(row.id))).toEqual([]);
    expect([...dialer.dialsPerCall().values()].filter((n) => n !== 1)).toEqual([]);
    // Picked up within one job lock and two stalled checks of the new process (15 s + 2 × 5 s).
    expect(commandMs).toBeLessThan(40_000);
    // The start applied once, though its job ran again after the kill.
    const events = (await api()('GET', `/campaigns/${waiting}/events`)).body.items!;
    expect(events.filter((event) => event.command === 'start').map((event) => [event.from, event.to])).toEqual([['draft', 'running']]);
    console.log(
      `[faults] SIGKILL during outcome recording and a command: ${reportedBeforeRestart} outcomes reported before the restart; ` +
        `restart ${restartedAt - killedAt} ms; the interrupted start applied ${commandMs} ms after the restart; campaign done ${doneMs} ms after it`,
    );
  });
});

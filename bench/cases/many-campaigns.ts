import { createDialerWorker } from '../../src/dialer/index.js';
import { hopperTick } from '../../src/services/hopper-tick.js';
import { reconcile } from '../../src/services/reconciler.js';
import { createCampaign, insertTargets, insertTargetsOfEach } from '../lib/campaigns.js';
import { seconds, type RunContext } from '../lib/context.js';
import { startInProcess } from '../lib/in-process.js';
import { result, type Result } from '../lib/report.js';
import { REDIS_URL, startBenchSystem, type BenchSystem } from '../lib/system.js';

/**
 * Many small campaigns against one large one. (1) n campaigns of 10 targets, started over HTTP,
 * until every one is done, against one campaign of 10 × n targets; a dialer in this process
 * answers every call at once. (2) One hopper pass and one reconciler pass (run in this process
 * on the system's database and prefix) with n running campaigns that have nothing due, against
 * the same pass with no running campaign.
 */
const TARGETS_EACH = 10;
const DIALER_CONCURRENCY = 300;
const STARTS_IN_FLIGHT = 50;
const PASSES = 20;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * `count` copies of the campaign, as the API created it but for name and status, with one
 * INSERT … SELECT (every column copied, so a new column needs no change here).
 */
async function copyCampaign(system: BenchSystem, templateId: string, count: number, label: string, status: 'draft' | 'running'): Promise<string[]> {
  const { rows } = await system.pool.query<{ id: string }>(
    `INSERT INTO campaigns
     SELECT r.* FROM campaigns c, generate_series(1, $2::int) g,
       LATERAL jsonb_populate_record(NULL::campaigns, to_jsonb(c) || jsonb_build_object('id', uuid_generate_v7(), 'name', $3::text || ' ' || g, 'status', $4::text)) r
     WHERE c.id = $1::uuid
     RETURNING id`,
    [templateId, count, label, status],
  );
  return rows.map((row) => row.id);
}

/** POST …/start of every campaign, `STARTS_IN_FLIGHT` requests at a time; a 202 (still running) is accepted. */
async function startAll(system: BenchSystem, ids: string[]): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const answer = await system.request('POST', `/campaigns/${id}/start`);
      if (answer.status !== 200 && answer.status !== 202) throw new Error(`start answered ${answer.status}: ${JSON.stringify(answer.json)}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(STARTS_IN_FLIGHT, ids.length) }, lane));
}

/**
 * Waits until every campaign is done, or `timeoutMs` has passed since `started`: the campaigns
 * done and the milliseconds since `started` when they were seen so.
 */
async function waitDone(system: BenchSystem, ids: string[], started: number, timeoutMs: number): Promise<{ done: number; ms: number }> {
  return system.waitFor(
    `${ids.length} campaigns to be done`,
    async () => {
      const { rows } = await system.pool.query<{ done: number }>(`SELECT count(*)::int AS done FROM campaigns WHERE id = ANY($1::uuid[]) AND status = 'done'`, [
        ids,
      ]);
      const ms = performance.now() - started;
      return rows[0]!.done === ids.length || ms > timeoutMs ? { done: rows[0]!.done, ms } : undefined;
    },
    timeoutMs + 60_000,
    ids.length > 1 ? 500 : 100,
  );
}

async function timeToDone(ctx: RunContext, count: number): Promise<Result> {
  const total = count * TARGETS_EACH;
  const system = await startBenchSystem(ctx, 'many');
  const dialer = createDialerWorker({
    connection: { url: REDIS_URL, maxRetriesPerRequest: null },
    prefix: system.prefix,
    concurrency: DIALER_CONCURRENCY,
    handler: async () => ({ status: 'answered', duration_s: 1 }),
  });
  try {
    // Untimed: the system's processes answer the measured runs warm.
    const warm = await createCampaign(system, 'many warm-up');
    await insertTargets(system, warm, 500);
    const warmStarted = performance.now();
    await startAll(system, [warm]);
    await waitDone(system, [warm], warmStarted, 120_000);

    // Reference: one campaign of as many targets.
    const single = await createCampaign(system, `many single ${total}`);
    await insertTargets(system, single, total);
    const singleStarted = performance.now();
    await startAll(system, [single]);
    const reference = await waitDone(system, [single], singleStarted, 15 * 60_000);
    if (reference.done !== 1) throw new Error(`the campaign of ${total} targets was not done within ${seconds(reference.ms).toFixed(0)} s`);
    ctx.log(`many: 1 × ${total} targets done in ${seconds(reference.ms).toFixed(1)} s`);

    const template = await createCampaign(system, 'many template');
    const ids = await copyCampaign(system, template, count, 'many', 'draft');
    await insertTargetsOfEach(system, ids, TARGETS_EACH);
    // Five times the reference is enough to tell that the goal (1.5) is missed, and bounds the run.
    const timeoutMs = Math.max(5 * reference.ms, 120_000);
    const started = performance.now();
    await startAll(system, ids);
    const startedAll = performance.now() - started;
    const many = await waitDone(system, ids, started, timeoutMs);
    const unfinished = many.done < count;
    ctx.log(
      `many: ${count} × ${TARGETS_EACH} targets, ${many.done} done in ${seconds(many.ms).toFixed(1)} s (starts sent in ${seconds(startedAll).toFixed(1)} s)`,
    );
    return result({
      name: `many campaigns: ${count.toLocaleString('en-US')} × ${TARGETS_EACH} targets, time to all done`,
      size: total,
      value: seconds(many.ms),
      unit: 's',
      baseline: seconds(reference.ms),
      baselineName: `1 × ${total.toLocaleString('en-US')} targets, time to done`,
      goal: ['≤', 1.5, 'ratio'],
      note: `${unfinished ? `NOT ALL DONE: ${many.done} of ${count} done when the wait ended, a lower bound; ` : ''}every start sent and answered in ${seconds(startedAll).toFixed(1)} s`,
    });
  } finally {
    await dialer.close();
    await system.close();
  }
}

/** Median milliseconds of `PASSES` passes, after an untimed one. */
async function medianPass(pass: () => Promise<unknown>): Promise<number> {
  await pass();
  const times: number[] = [];
  for (let i = 0; i < PASSES; i++) {
    const started = performance.now();
    await pass();
    times.push(performance.now() - started);
  }
  return median(times);
}

async function idlePasses(ctx: RunContext, count: number): Promise<Result[]> {
  const bench = await startBenchSystem(ctx, 'many-idle', { roles: ['api'] });
  const system = await startInProcess(bench);
  // Statistics as autovacuum would keep them (the machine runs with it off): the passes' plans
  // are the engine's, not those of tables PostgreSQL has never looked at.
  const analyze = () => bench.pool.query('ANALYZE campaigns, targets, calls, whatsapp_messages, rollouts, commands');
  try {
    const template = await createCampaign(bench, 'idle template');
    await analyze();
    const emptyHopper = await medianPass(() => hopperTick(system.deps));
    const emptyReconcile = await medianPass(() => reconcile(system.deps));

    // Running campaigns as a finished start leaves them when nothing is due yet: every target in
    // round 1 with its call waiting as a row due in an hour (beyond the hopper's horizon), the
    // start's rollout finished.
    const ids = await copyCampaign(bench, template, count, 'idle', 'running');
    await insertTargetsOfEach(bench, ids, TARGETS_EACH);
    await bench.pool.query(`UPDATE targets SET round = 1, last_attempt = 1, has_pending = true WHERE campaign_id = ANY($1::uuid[])`, [ids]);
    await bench.pool.query(
      `INSERT INTO calls (id, campaign_id, target_id, round, attempt, round_attempt, status, scheduled_for, updated_at)
       SELECT uuid_generate_v7(), campaign_id, id, 1, 1, 1, 'scheduled', now() + interval '1 hour', now() FROM targets WHERE campaign_id = ANY($1::uuid[])`,
      [ids],
    );
    await bench.pool.query(
      `INSERT INTO rollouts (id, campaign_id, kind, created_at, cursor, selected, scheduled_calls, finished_at)
       SELECT uuid_generate_v7(), campaign_id, 'start', now() - interval '1 minute', (array_agg(id ORDER BY id DESC))[1], count(*), count(*), now()
       FROM targets WHERE campaign_id = ANY($1::uuid[]) GROUP BY campaign_id`,
      [ids],
    );
    await analyze();
    // Idle indeed: a pass that promoted, opened or settled anything would measure that work.
    const check = await hopperTick(system.deps);
    if (check.promoted + check.opened + check.timedOut + check.settling > 0) throw new Error(`the idle campaigns were not idle: ${JSON.stringify(check)}`);
    const idleHopper = await medianPass(() => hopperTick(system.deps));
    const idleReconcile = await medianPass(() => reconcile(system.deps));
    ctx.log(
      `many: hopper pass ${idleHopper.toFixed(1)} ms with ${count} idle campaigns (${emptyHopper.toFixed(1)} ms empty); reconciler pass ${idleReconcile.toFixed(1)} ms (${emptyReconcile.toFixed(1)} ms empty)`,
    );
    const label = `with ${count.toLocaleString('en-US')} idle running campaigns`;
    const note = `median of ${PASSES} passes`;
    return [
      result({
        name: `hopper pass ${label}`,
        size: count,
        value: idleHopper,
        unit: 'ms',
        baseline: emptyHopper,
        baselineName: 'hopper pass, no running campaign',
        goal: ['≤', 2, 'ratio'],
        note,
      }),
      result({
        name: `reconciler pass ${label}`,
        size: count,
        value: idleReconcile,
        unit: 'ms',
        baseline: emptyReconcile,
        baselineName: 'reconciler pass, no running campaign',
        note,
      }),
    ];
  } finally {
    await system.close();
    await bench.close();
  }
}

export async function manyCampaignsCase(ctx: RunContext): Promise<Result[]> {
  const count = ctx.quick ? 1_000 : 10_000;
  const done = await timeToDone(ctx, count);
  // On a system of their own: the first part's campaigns would be in the passes' way.
  return [done, ...(await idlePasses(ctx, count))];
}

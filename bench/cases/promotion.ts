import { promoteDueWork } from '../../src/services/hopper.js';
import { bareAddBulk } from '../lib/baselines.js';
import { createCampaign, insertTargets } from '../lib/campaigns.js';
import { seconds, type RunContext } from '../lib/context.js';
import { startInProcess } from '../lib/in-process.js';
import { result, type Result } from '../lib/report.js';
import { startBenchSystem } from '../lib/system.js';

/**
 * Promotion: one hopper pass (the system's promoteDueWork, run in this process on the system's
 * database and prefix) over a running campaign holding n due calls as rows, with
 * HOPPER_MAX_PROMOTED_PER_CAMPAIGN above n. Rows turned into delayed jobs per second, against
 * BullMQ addBulk of as many delayed jobs.
 */
export async function promotionCase(ctx: RunContext): Promise<Result[]> {
  const results: Result[] = [];
  const bench = await startBenchSystem(ctx, 'promotion', { roles: ['api'] });
  const system = await startInProcess(bench, { HOPPER_MAX_PROMOTED_PER_CAMPAIGN: '100000000' });
  try {
    for (const size of ctx.sizes([10_000, 100_000])) {
      const campaignId = await createCampaign(bench, `promotion ${size}`);
      await insertTargets(bench, campaignId, size);
      // As a start's rollout leaves it: every target in round 1, its first call due within the
      // horizon (in five minutes, so it becomes a delayed job as in the bare reference).
      await bench.pool.query(`UPDATE targets SET round = 1, last_attempt = 1, has_pending = true WHERE campaign_id = $1::uuid`, [campaignId]);
      await bench.pool.query(
        `INSERT INTO calls (id, campaign_id, target_id, round, attempt, round_attempt, status, scheduled_for, updated_at)
         SELECT uuid_generate_v7(), campaign_id, id, 1, 1, 1, 'scheduled', now() + interval '5 minutes', now() FROM targets WHERE campaign_id = $1::uuid`,
        [campaignId],
      );
      await bench.pool.query(`UPDATE campaigns SET status = 'running' WHERE id = $1::uuid`, [campaignId]);
      const started = performance.now();
      const pass = await promoteDueWork(system.deps);
      const ms = performance.now() - started;
      if (pass.promoted !== size) throw new Error(`promotion ${size}: one pass promoted ${pass.promoted} rows`);
      const bare = await bareAddBulk(ctx, bench.redis, size);
      results.push(
        result({
          name: 'promotion: due rows → delayed jobs, one hopper pass',
          size,
          value: size / seconds(ms),
          unit: 'jobs/s',
          baseline: bare.jobsPerSecond,
          baselineName: `addBulk of ${size} delayed jobs`,
        }),
      );
      ctx.log(`promotion ${size}: ${(size / seconds(ms)).toFixed(0)} jobs/s (bare addBulk ${bare.jobsPerSecond.toFixed(0)} jobs/s)`);
      await bench.pool.query(`UPDATE campaigns SET status = 'paused' WHERE id = $1::uuid`, [campaignId]);
    }
  } finally {
    await system.close();
    await bench.close();
  }
  return results;
}

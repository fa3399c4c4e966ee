import { bareInsertSelect } from '../lib/baselines.js';
import { createCampaign, expectOk, insertTargets, runCommand, targetsInRound, waitRolledOut } from '../lib/campaigns.js';
import { seconds, type RunContext } from '../lib/context.js';
import { result, type Result } from '../lib/report.js';
import { startBenchSystem } from '../lib/system.js';

/**
 * Start of a draft campaign of n targets (inserted with SQL): the time until the start command
 * finished, and the time until every round is open (the rollout run by the hopper).
 */
const GOALS: Record<number, number> = { 100_000: 2, 1_000_000: 15 };

export async function startCase(ctx: RunContext): Promise<Result[]> {
  const results: Result[] = [];
  const system = await startBenchSystem(ctx, 'start');
  try {
    for (const size of ctx.sizes([10_000, 100_000, 1_000_000])) {
      const campaignId = await createCampaign(system, `start ${size}`);
      await insertTargets(system, campaignId, size);
      const bare = seconds(await bareInsertSelect(ctx, system.pool, size));
      const started = performance.now();
      const command = expectOk(await runCommand(system, campaignId, 'start'), 'start');
      await waitRolledOut(system, campaignId, 20 * 60_000);
      const rolledOutMs = performance.now() - started;
      const left = await targetsInRound(system, campaignId, 0);
      if (left > 0) throw new Error(`start ${size}: ${left} targets never got a round`);
      const baseline = { baseline: bare, baselineName: `INSERT … SELECT ${size} uuid rows`, unit: 's', size };
      const goal = GOALS[size];
      results.push(result({ name: 'start: command finished', value: seconds(command.ms), ...baseline, ...(goal ? { goal: ['<', goal] as const } : {}) }));
      results.push(result({ name: 'start: every round opened', value: seconds(rolledOutMs), ...baseline }));
      ctx.log(
        `start ${size}: command ${seconds(command.ms).toFixed(2)} s, all rounds open ${seconds(rolledOutMs).toFixed(2)} s (bare insert ${bare.toFixed(2)} s)`,
      );
      // Paused, it leaves the next size alone (its jobs are withdrawn, its rows kept).
      expectOk(await runCommand(system, campaignId, 'pause'), 'pause');
    }
  } finally {
    await system.close();
  }
  return results;
}

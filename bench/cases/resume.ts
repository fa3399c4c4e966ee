import { bareInsertSelect } from '../lib/baselines.js';
import { createCampaign, expectOk, insertTargets, runCommand, targetsInRound, waitRolledOut } from '../lib/campaigns.js';
import { seconds, type RunContext } from '../lib/context.js';
import { result, type Result } from '../lib/report.js';
import { startBenchSystem } from '../lib/system.js';

/**
 * Resume of a segment of n targets: a completed campaign whose n targets are `not_answered`
 * after one round (written with SQL), resumed with segment `not_answered`. Times the command
 * (its answer, or its result polled when it answered 202) and the opening of every new round.
 */
export async function resumeCase(ctx: RunContext): Promise<Result[]> {
  const results: Result[] = [];
  const system = await startBenchSystem(ctx, 'resume');
  try {
    for (const size of ctx.sizes([10_000, 100_000, 1_000_000])) {
      const campaignId = await createCampaign(system, `resume ${size}`);
      await insertTargets(system, campaignId, size, { afterOneRound: true });
      expectOk(await runCommand(system, campaignId, 'complete'), 'complete');
      const bare = seconds(await bareInsertSelect(ctx, system.pool, size));
      const started = performance.now();
      const command = expectOk(await runCommand(system, campaignId, 'resume', { segment: 'not_answered' }), 'resume');
      await waitRolledOut(system, campaignId, 20 * 60_000);
      const rolledOutMs = performance.now() - started;
      if (command.body.scheduled_calls !== size) throw new Error(`resume ${size} scheduled ${command.body.scheduled_calls} calls`);
      const secondRound = await targetsInRound(system, campaignId, 2);
      if (secondRound !== size) throw new Error(`resume ${size}: ${size - secondRound} targets did not get their second round`);
      const baseline = { baseline: bare, baselineName: `INSERT … SELECT ${size} uuid rows`, unit: 's', size };
      results.push(result({ name: 'resume: command finished', value: seconds(command.ms), ...baseline }));
      results.push(result({ name: 'resume: every round opened', value: seconds(rolledOutMs), ...baseline }));
      ctx.log(`resume ${size}: command ${seconds(command.ms).toFixed(2)} s, all rounds open ${seconds(rolledOutMs).toFixed(2)} s`);
      expectOk(await runCommand(system, campaignId, 'pause'), 'pause');
    }
  } finally {
    await system.close();
  }
  return results;
}

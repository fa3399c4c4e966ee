import { bareWorker } from '../lib/baselines.js';
import { cpuBreakdown, dialAll, dialingRows, helperDialer, httpDialer, measureDialing, readyCampaign } from '../lib/dialers.js';
import type { RunContext } from '../lib/context.js';
import type { Result } from '../lib/report.js';
import { startBenchSystem } from '../lib/system.js';

/**
 * Dispatch end to end: a started campaign of n targets, every round open, then a dialer that
 * answers at once takes every call: promotion, claim, outcome recorded, round ended. (a) with
 * the exported helper createDialerWorker, (b) a plain BullMQ worker using POST /calls/{id}/claim
 * and /outcome on the API. The dialer runs in this process, the system's roles in theirs. Calls/s
 * against a bare no-op BullMQ worker's jobs/s, and the CPU each process spent per call.
 */
export async function dispatchCase(ctx: RunContext): Promise<Result[]> {
  const results: Result[] = [];
  const system = await startBenchSystem(ctx, 'dispatch');
  try {
    // An untimed run of each dialer first, as the import case sends an untimed request: the
    // system's processes answer the first size warm (the API's HTTP path ran cold at 2,000 calls).
    for (const startDialer of [helperDialer, httpDialer]) await dialAll(system, await readyCampaign(system, 500, 'warm-up'), 500, startDialer);
    for (const size of ctx.sizes([2_000, 20_000])) {
      // Enough jobs for the bare worker to reach its pace (a few thousand drain in a blink).
      const bare = await bareWorker(ctx, system.redis, Math.max(size, 20_000));
      for (const [variant, startDialer, goal] of [
        ['helper', helperDialer, 1_000],
        ['HTTP', httpDialer, 500],
      ] as const) {
        const measured = await measureDialing(system, size, variant, startDialer);
        const note = `${measured.transactions.toFixed(2)} PostgreSQL transactions per call${measured.failures > 0 ? `, ${measured.failures} dialer errors` : ''}`;
        results.push(
          ...dialingRows(`dispatch (${variant === 'helper' ? 'createDialerWorker' : 'HTTP claim + outcome'})`, size, measured, bare, {
            note,
            goal: ['≥', goal],
          }),
        );
        const breakdown = cpuBreakdown(measured.cpu, size);
        ctx.log(`dispatch ${variant} ${size}: ${measured.callsPerSecond.toFixed(0)} calls/s, ${note}; CPU ms per call: ${breakdown}`);
      }
    }
  } finally {
    await system.close();
  }
  return results;
}

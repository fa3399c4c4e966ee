import { eventually } from './poll.js';
import type { TestSystem } from './harness.js';

/** Hopper passes this system has completed so far (its own counter). */
export async function hopperPasses(t: TestSystem): Promise<number> {
  const metric = await t.system.deps.metrics.hopperPasses.get();
  return metric.values[0]?.value ?? 0;
}

/**
 * Resolves once `count` more hopper passes have completed: whatever those passes were going to
 * do is done, so a test can then check that something did NOT happen without guessing a sleep.
 */
export async function afterHopperPasses(t: TestSystem, count = 2, timeoutMs = 15_000): Promise<void> {
  const target = (await hopperPasses(t)) + count;
  await eventually(
    () => hopperPasses(t),
    (passes) => passes >= target,
    timeoutMs,
    25,
  );
}

import { vi } from 'vitest';

/**
 * Polls `probe` until `accept` holds and returns the accepted value; on timeout the error shows
 * the last value seen. For waiting on a condition observed on the system, never a fixed sleep.
 */
export function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 15_000, intervalMs = 100): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await probe();
      if (!accept(value)) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
      return value;
    },
    { timeout: timeoutMs, interval: intervalMs },
  );
}

/** Waits until `check` holds (a check that throws has not held yet); on timeout the error names `what`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  await eventually(check, (held) => held, timeoutMs, 50).catch((error: Error) => {
    throw new Error(`${what}: ${error.message}`);
  });
}

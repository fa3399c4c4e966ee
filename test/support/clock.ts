import type { Clock } from '../../src/services/clock.js';

/**
 * A clock that runs at real speed from a chosen instant and can jump forward, so a test can
 * run a campaign at a given local time and skip the hours between windows, while BullMQ's
 * delays (relative) stay real and short.
 */
export interface TestClock {
  now: Clock;
  advance(ms: number): void;
  set(instant: Date): void;
}

export function createTestClock(start: Date): TestClock {
  let offset = start.getTime() - Date.now();
  return {
    now: () => new Date(Date.now() + offset),
    advance: (ms) => {
      offset += ms;
    },
    set: (instant) => {
      offset = instant.getTime() - Date.now();
    },
  };
}

import { defineConfig } from 'vitest/config';

/**
 * `npm run test:faults`: Redis killed and restarted, PostgreSQL cut off, system processes
 * killed, several processes at once, and input fuzzing (RELIABILITY.md). The files run one
 * after the other: each owns processes and measures recovery times that a neighbour's load
 * would distort.
 */
export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    include: ['test/faults/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});

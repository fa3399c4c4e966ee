import { configDefaults, defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/support/sequencer.js';

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    // Fault tests kill and restart processes and run for minutes: `npm run test:faults`.
    exclude: [...configDefaults.exclude, 'test/faults/**'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Each worker imports the application once rather than once per file: the import (Fastify,
    // Prisma, BullMQ, zod schemas) costs a file about 4 s of CPU, over half of the suite's CPU
    // on two cores. Files keep their own state all the same: each builds its own system, database
    // and queue prefix, and stops what it started; no file stubs globals, the environment or modules.
    isolate: false,
    sequence: { sequencer: LongestFirstSequencer },
  },
});

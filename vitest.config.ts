import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    exclude: [
      ...configDefaults.exclude,
      // Fault tests kill and restart processes and run for minutes: `npm run test:faults`.
      'test/faults/**',
      // A fresh clone's npm ci and build, about 80 s of CPU, and the SDK packed and installed
      // outside the repository: `npm run test:newcomer`, run by CI.
      'test/newcomer.test.ts',
      'test/sdk.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Each worker imports the application once rather than once per file: the import (Fastify,
    // Prisma, BullMQ, zod schemas) costs a file about 4 s of CPU, over half of the suite's CPU
    // on two cores. Files keep their own state all the same: each builds its own system, database
    // and queue prefix, and stops what it started; no file stubs globals, the environment or modules.
    isolate: false,
  },
});

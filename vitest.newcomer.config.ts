import { defineConfig } from 'vitest/config';

/**
 * `npm run test:newcomer`: a clone of HEAD set up as the README and the Procfile say (npm ci, the
 * CLI, migrate, start; build, then the compiled web and worker processes). Apart from `npm test`
 * because it installs and compiles a whole clone; CI runs it on every change.
 */
export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    include: ['test/newcomer.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});

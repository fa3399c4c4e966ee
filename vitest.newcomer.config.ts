import { defineConfig } from 'vitest/config';

/**
 * `npm run test:newcomer`: a clone of HEAD set up as the README and the Procfile say (npm ci, the
 * CLI, migrate, start; build, then the compiled web and worker processes), and the SDK packed and
 * installed in a folder outside the repository as docs/sdk.md says. Apart from `npm test` because
 * they install and compile; CI runs them on every change.
 */
export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    include: ['test/newcomer.test.ts', 'test/sdk.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { adminQuery, uniqueName, withDatabase } from './support/databases.js';
import { createProcesses, type Service } from './support/processes.js';
import getPort from 'get-port';
import { deletePrefixAt } from './support/redis-keys.js';
import { readQuickStart } from './support/quickstart.js';

/**
 * A newcomer's first hour, in a clone of the committed HEAD: the README's steps (npm ci, the
 * CLI, npm run migrate, npm start, the quick start's campaign), then the Procfile's (npm run
 * build, node dist/...). A missing generate or install step fails here, not on someone's laptop.
 * The whole quick start runs in test/e2e/readme-quickstart.test.ts.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const JWT_SECRET = 'newcomer-test-secret-of-at-least-32-characters';

const processes = createProcesses();
const databases = [uniqueName('cenew'), uniqueName('cenew_procfile')];
const prefix = uniqueName('newcomer');
let work: string | undefined;
const timings: string[] = [];

afterAll(async () => {
  processes.killAll();
  for (const database of databases) {
    await adminQuery(inject('databaseServerUrl'), `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  }
  await deletePrefixAt(inject('redisUrl'), prefix);
  if (work) await rm(work, { recursive: true, force: true });
  console.log(`newcomer: ${timings.join(', ')}`);
}, 60_000);

/** The outer `npm test` and vitest leave variables that a newcomer's shell does not have. */
function newcomerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|TEST_|NODE_ENV$|NODE_OPTIONS$|INIT_CWD$|DATABASE_URL$|REDIS_URL$|QUEUE_PREFIX$|PORT$|JWT_SECRET$)/i.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

async function timed<T>(label: string, step: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await step();
  } finally {
    timings.push(`${label} ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** Waits until GET /readyz answers 200; fails at once, with the output, if the process exits. */
async function readyz(service: Service, port: number, timeoutMs = 60_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.hasExited()) throw new Error(`exited before /readyz answered:\n${processes.tail(service.output())}`);
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    if (response?.status === 200) return response.json();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`/readyz did not answer 200 within ${timeoutMs} ms:\n${processes.tail(service.output())}`);
}

/** Waits until the process prints a line matching `pattern`; fails at once if it exits. */
async function printed(service: Service, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(service.output())) {
    if (service.hasExited() || Date.now() > deadline) throw new Error(`never printed ${pattern}:\n${processes.tail(service.output())}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface ApiBody {
  id: string;
  status: string;
  items: Array<{ id: string }>;
}

const api = (port: number, key: string) => async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { 'X-API-Key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as ApiBody };
};

const apiKeyOf = (output: string) => {
  const key = output.trimEnd().split('\n').at(-1)!;
  expect(key, output).toMatch(/^cek_[A-Za-z0-9_-]+$/);
  return key;
};

describe('a newcomer on a fresh machine', () => {
  it('clones, installs, runs the CLI, migrates and starts the system as the README says; then builds and runs the Procfile', { timeout: 300_000 }, async () => {
    work = await mkdtemp(join(tmpdir(), 'newcomer-'));
    const clone = join(work, 'repo');
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    await timed('clone', async () => {
      await processes.run('git', ['clone', '--quiet', '--no-checkout', ROOT, clone], { cwd: work!, env: newcomerEnv({}), timeoutMs: 60_000 });
      await processes.run('git', ['checkout', '--quiet', '--detach', head], { cwd: clone, env: newcomerEnv({}), timeoutMs: 60_000 });
    });
    expect(existsSync(join(clone, 'node_modules'))).toBe(false);
    // The campaign of the clone's README quick start.
    const readmeCampaign = JSON.parse(readQuickStart(readFileSync(join(clone, 'README.md'), 'utf8')).files['campaign.json']!);

    const serverUrl = inject('databaseServerUrl');
    const env = newcomerEnv({ DATABASE_URL: withDatabase(serverUrl, databases[0]!), REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: prefix });
    const run = (label: string, command: string, args: string[], timeoutMs = 120_000) =>
      timed(label, () => processes.run(command, args, { cwd: clone, env, timeoutMs }));

    // The README: npm ci, which generates the Prisma client.
    await run('npm ci', 'npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], 240_000);
    expect(existsSync(join(clone, 'src/generated/prisma/client.ts')), 'npm ci must generate the Prisma client (postinstall)').toBe(true);

    // The README's steps and the Procfile's share nothing but the clone (each has its own
    // database), so they run side by side.
    const readmeSteps = async () => {
      await run('npm run migrate', 'npm', ['run', 'migrate']);
      const key = apiKeyOf(await run('npm run cli', 'npm', ['run', 'cli', '--', 'api-key', 'create', '--org', 'acme']));
      const port = await getPort();
      const system = processes.start('npm', ['start'], { cwd: clone, env: { ...env, PORT: String(port) } });
      expect(await timed('npm start until ready', () => readyz(system, port))).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok' });
      const call = api(port, key);
      const created = await call('POST', '/campaigns', readmeCampaign);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect((await call('GET', '/campaigns')).body.items.map((campaign) => campaign.id)).toEqual([created.body.id]);
      await processes.stop(system);
    };

    // The Procfile: build, release (migrate), web and worker, in production mode.
    const procfileSteps = async () => {
      await run('npm run build', 'npm', ['run', 'build'], 180_000);
      const production = {
        ...env,
        DATABASE_URL: withDatabase(serverUrl, databases[1]!),
        NODE_ENV: 'production',
        // What production refuses to start without.
        JWT_SECRET,
        ADMIN_USER: 'ops',
        ADMIN_PASSWORD: 'newcomer-test-admin-password',
        WEBHOOK_SECRET_KEY: 'newcomer-test-webhook-secret-key-of-32-characters',
        COMMAND_WAIT_MS: '20000',
      };
      const node = (label: string, args: string[]) => timed(label, () => processes.run('node', args, { cwd: clone, env: production, timeoutMs: 60_000 }));
      await node('node dist/migrate.js', ['dist/migrate.js']);
      const productionKey = apiKeyOf(await node('node dist/cli.js', ['dist/cli.js', 'api-key', 'create', '--org', 'acme']));

      const webPort = await getPort();
      const web = processes.start('node', ['dist/main.js', 'api'], { cwd: clone, env: { ...production, PORT: String(webPort) } });
      const worker = processes.start('node', ['dist/main.js', 'worker'], { cwd: clone, env: production });
      await timed('web and worker until ready', async () => {
        expect(await readyz(web, webPort)).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok' });
        await printed(worker, /"msg":"workers running"/);
      });
      // The worker process applies the web process's lifecycle command: 200, not 202 after the wait.
      const callProduction = api(webPort, productionKey);
      const campaign = await callProduction('POST', '/campaigns', readmeCampaign);
      expect(campaign.status, JSON.stringify(campaign.body)).toBe(201);
      const started = await callProduction('POST', `/campaigns/${campaign.body.id}/start`);
      expect(started.status, JSON.stringify(started.body)).toBe(200);
      expect(started.body.status).toMatch(/^(running|done)$/);

      // SIGTERM: both stop gracefully and exit 0.
      const [webExit, workerExit] = await Promise.all([processes.stop(web), processes.stop(worker)]);
      expect(webExit, processes.tail(web.output())).toEqual({ code: 0, signal: null });
      expect(workerExit, processes.tail(worker.output())).toEqual({ code: 0, signal: null });
      for (const service of [web, worker]) expect(service.output()).toMatch(/"signal":"SIGTERM","msg":"shutting down"/);
    };

    // Both run to their end before the test ends, so teardown never pulls a database from under either.
    const outcomes = await Promise.allSettled([readmeSteps(), procfileSteps()]);
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';
import { Redis } from 'ioredis';
import pg from 'pg';
import { deployMigrations } from '../../src/db/migrations/deploy.js';
import { hashApiKey } from '../../src/db/repositories/organizations.js';
import { deletePrefix } from '../../test/support/redis-keys.js';
import { memoryBytes } from './proc.js';
import { sleep, type RunContext } from './context.js';

/**
 * The system under test: its API and worker roles in child processes of their own (as deployed:
 * one process per role), on a database recreated for each case and a BullMQ prefix of its own.
 */

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const RESULTS_DIR = `${REPO}bench/results/`;
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
// BENCH_DATABASE names the databases (two runs at once on one server need two names).
const DATABASE = process.env.BENCH_DATABASE ?? 'campaigns_bench';
if (!/^[a-z_][a-z0-9_]*$/.test(DATABASE)) throw new Error(`BENCH_DATABASE must be a plain lower-case identifier, got ${DATABASE}`);
const TEMPLATE = `${DATABASE}_template`;

export const databaseUrl = (name: string) => {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
};

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A migrated template, cloned for every case (CREATE DATABASE … TEMPLATE takes a second). */
export async function prepareTemplate(): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin(`DROP DATABASE IF EXISTS ${TEMPLATE} WITH (FORCE)`);
  await deployMigrations(databaseUrl(TEMPLATE));
}

export async function dropDatabases(): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin(`DROP DATABASE IF EXISTS ${TEMPLATE} WITH (FORCE)`);
}

export interface RoleProcess {
  role: string;
  pid: number;
  logPath: string;
  logTail(lines?: number): string;
  alive(): boolean;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** A Node child running a TypeScript entry point, its output in a log file (no pipe to drain). */
export function spawnNode(name: string, args: string[], env: NodeJS.ProcessEnv, ctx: RunContext): RoleProcess {
  mkdirSync(`${RESULTS_DIR}logs`, { recursive: true });
  const logPath = `${RESULTS_DIR}logs/${name}.log`;
  const fd = openSync(logPath, 'w');
  // One folder per process: the TypeScript loader's thread writes a profile of its own beside the main thread's.
  const profile = ctx.profile ? ['--cpu-prof', `--cpu-prof-dir=${RESULTS_DIR}profiles/${name}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, '--import', 'tsx', ...args], { cwd: REPO, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logTail = (lines = 15) => readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  return {
    role: name,
    pid: child.pid!,
    logPath,
    logTail,
    alive: () => child.exitCode === null && child.signalCode === null,
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killed = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(killed);
    },
  };
}

export interface ApiAnswer {
  status: number;
  // Bodies are read by the cases field by field; each case checks what it relies on.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** An API request with an organization's key: its answer's status and body (JSON when it parses). */
export type Requester = (method: string, path: string, body?: unknown, contentType?: string) => Promise<ApiAnswer>;

function requester(baseUrl: string, key: string): Requester {
  return async (method, path, body, contentType = 'application/json') => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': contentType }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status: response.status, json };
  };
}

/** An organization and an API key, as `npm run cli -- api-key create` makes them. */
async function insertOrganization(pool: pg.Pool, name: string): Promise<{ id: string; apiKey: string }> {
  const apiKey = `cek_${randomBytes(24).toString('base64url')}`;
  const { rows } = await pool.query<{ id: string }>(`INSERT INTO organizations (id, name) VALUES (uuid_generate_v7(), $1) RETURNING id`, [name]);
  const id = rows[0]!.id;
  await pool.query(`INSERT INTO api_keys (id, organization_id, key_hash, key_prefix) VALUES (uuid_generate_v7(), $1, $2, $3)`, [
    id,
    hashApiKey(apiKey),
    apiKey.slice(0, 10),
  ]);
  return { id, apiKey };
}

export interface BenchOrganization {
  organizationId: string;
  apiKey: string;
  /** Requests to the system's API with this organization's key. */
  request: Requester;
}

/** A second (third…) organization of the system, with an API key of its own. */
export async function addOrganization(system: BenchSystem, name: string): Promise<BenchOrganization> {
  const organization = await insertOrganization(system.pool, name);
  return { organizationId: organization.id, apiKey: organization.apiKey, request: requester(system.baseUrl, organization.apiKey) };
}

export interface BenchSystem {
  caseName: string;
  baseUrl: string;
  apiKey: string;
  organizationId: string;
  prefix: string;
  databaseUrl: string;
  /** The bench's own connections (not counted as the system's). */
  pool: pg.Pool;
  redis: Redis;
  /** The first API process and the first worker process (of `apis` and `workers`). */
  api?: RoleProcess;
  worker?: RoleProcess;
  /** Every API process's address (baseUrl is the first). */
  baseUrls: string[];
  /** Requests with the system's organization's key. */
  request: Requester;
  /** Polls `probe` until it returns a value (not undefined); fails with the children's logs. */
  waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs?: number): Promise<T>;
  /** pids of the system's processes by role: its children and its PostgreSQL backends. */
  pids(): Record<Roles, number[]>;
  postgresPids(): Promise<number[]>;
  close(): Promise<void>;
}

export type Roles = 'api' | 'worker';

/**
 * A fresh database cloned from the template, a new prefix, an organization and an API key, and
 * the requested roles running as children (production settings plus `env`): one process of each
 * role, or `apis` API processes (each on a port of its own) and `workers` worker processes.
 */
export async function startBenchSystem(
  ctx: RunContext,
  caseName: string,
  options: { roles?: Roles[]; env?: Record<string, string>; apis?: number; workers?: number } = {},
): Promise<BenchSystem> {
  const roles = options.roles ?? ['api', 'worker'];
  const count = (role: Roles, wanted = 1) => (roles.includes(role) ? wanted : 0);
  await admin(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DATABASE} TEMPLATE ${TEMPLATE}`);
  const url = databaseUrl(DATABASE);
  const prefix = `bench-${Date.now().toString(36)}`;
  const ports = await Promise.all(Array.from({ length: count('api', options.apis) }, () => getPort()));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: url,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    JWT_SECRET: randomBytes(32).toString('hex'),
    ADMIN_USER: 'bench',
    ADMIN_PASSWORD: randomBytes(16).toString('hex'),
    ...options.env,
  };
  // No JIT, as the system's own connections: a poll over thousands of ids must not compile code each time.
  const pool = new pg.Pool({ connectionString: url, max: 4, application_name: 'bench', options: '-c jit=off' });
  pool.on('error', (error) => ctx.log(`bench connection lost: ${error.message}`));
  const organization = await insertOrganization(pool, 'bench');
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const numbered = (role: Roles, index: number) => `${caseName}-${role}${index === 0 ? '' : `-${index + 1}`}`;
  const apis = ports.map((port, index) => spawnNode(numbered('api', index), ['src/main.ts', 'api'], { ...env, PORT: String(port) }, ctx));
  const workers = Array.from({ length: count('worker', options.workers) }, (_, index) =>
    spawnNode(numbered('worker', index), ['src/main.ts', 'worker'], env, ctx),
  );
  const children = [...apis, ...workers];
  const [api, worker] = [apis[0], workers[0]];
  const baseUrls = ports.map((port) => `http://127.0.0.1:${port}`);
  const baseUrl = baseUrls[0] ?? 'http://127.0.0.1:0';

  const waitFor: BenchSystem['waitFor'] = async (what, probe, timeoutMs, intervalMs = 100) => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const dead = children.find((child) => !child.alive());
      if (dead) throw new Error(`${dead.role} exited while waiting for ${what}:\n${dead.logTail()}`);
      const value = await probe();
      if (value !== undefined) return value;
      if (performance.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${children.map((child) => `--- ${child.role}\n${child.logTail()}`).join('\n')}`);
      }
      await sleep(intervalMs);
    }
  };

  const request = requester(baseUrl, organization.apiKey);

  const system: BenchSystem = {
    caseName,
    baseUrl,
    apiKey: organization.apiKey,
    organizationId: organization.id,
    prefix,
    databaseUrl: url,
    pool,
    redis,
    api,
    worker,
    baseUrls,
    request,
    waitFor,
    pids: () => ({ api: apis.map((child) => child.pid), worker: workers.map((child) => child.pid) }),
    postgresPids: async () =>
      (await pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name <> 'bench'`, [DATABASE])).rows.map(
        (row) => row.pid,
      ),
    close: async () => {
      if (worker) ctx.workerPeaks.push({ case: caseName, bytes: memoryBytes(worker.pid, 'VmHWM') ?? 0 });
      await Promise.all(children.map((child) => child.stop()));
      await deletePrefix(redis, prefix);
      redis.disconnect();
      await pool.end();
      await admin(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    },
  };
  try {
    for (const address of baseUrls) {
      const ready = requester(address, organization.apiKey);
      await waitFor(
        `the API at ${address} to be ready`,
        async () => ((await ready('GET', '/readyz').catch(() => null))?.status === 200 ? true : undefined),
        60_000,
        200,
      );
    }
    for (const child of workers)
      await waitFor(`${child.role} to run`, async () => (readFileSync(child.logPath, 'utf8').includes('workers running') ? true : undefined), 60_000, 200);
  } catch (error) {
    await system.close();
    throw error;
  }
  return system;
}

import getPort from 'get-port';
import type { Role } from '../../src/system.js';
import { eventually } from './poll.js';
import { TEST_JWT_SECRET } from './harness.js';
import { spawnOwned, type OwnedProcess } from './processes.js';
import { startDatabaseProxy } from './tcp-proxy.js';

/** One line of the system's pino output (JSON), or the raw text of a line that is not JSON. */
export interface LogLine {
  level?: number;
  msg?: string;
  time?: string;
  text?: string;
  [field: string]: unknown;
}

export interface SystemProcess {
  role: Role;
  /** The API's address (roles `api` and `all`). */
  url: string | undefined;
  /** Every line the process wrote, parsed, in order. */
  logs: LogLine[];
  process: OwnedProcess;
  /** The process's Prometheus metrics (roles `api` and `all`). */
  metrics(): Promise<string>;
  /** Signals the process group and waits for it to exit (SIGKILL: a crash). */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** The environment every system process of a test shares: its database, Redis and prefix. */
export function systemEnv(settings: { databaseUrl: string; redisUrl: string; prefix: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    DATABASE_URL: settings.databaseUrl,
    REDIS_URL: settings.redisUrl,
    QUEUE_PREFIX: settings.prefix,
    JWT_SECRET: TEST_JWT_SECRET,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/**
 * `src/main.ts <role>` in a child process of its own group (`node --import tsx`, so signals
 * reach the system itself), its output captured; resolves once it serves (API) or its workers
 * run.
 */
export async function startSystemProcess(role: Role, env: Record<string, string>, options: { readyWithinMs?: number } = {}): Promise<SystemProcess> {
  const port = role === 'worker' ? undefined : await getPort();
  const logs: LogLine[] = [];
  let partial = '';
  const process_ = spawnOwned(process.execPath, ['--import', 'tsx', 'src/main.ts', role], {
    env: { ...env, ...(port ? { PORT: String(port) } : {}) },
    output: (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines.filter(Boolean)) {
        try {
          logs.push(JSON.parse(line) as LogLine);
        } catch {
          logs.push({ text: line });
        }
      }
    },
  });
  const url = port ? `http://127.0.0.1:${port}` : undefined;
  const ready = async () => {
    if (!process_.running()) throw new Error(`system process (${role}) exited at start: ${JSON.stringify(logs.slice(-5))}`);
    if (url)
      return fetch(`${url}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
    return logs.some((line) => line.msg === 'workers running');
  };
  await eventually(ready, Boolean, options.readyWithinMs ?? 60_000);
  return {
    role,
    url,
    logs,
    process: process_,
    metrics: async () => {
      if (!url) throw new Error('a worker process serves no metrics');
      return (await fetch(`${url}/metrics`)).text();
    },
    kill: (signal = 'SIGKILL') => process_.kill(signal),
  };
}

/** JSON requests to a system process's API with an API key. */
export function httpClient(baseUrl: string, apiKey: string) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'x-api-key': apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown> & { items?: Array<Record<string, unknown>> }) : {} };
  };
}

/**
 * The system as a child process that reaches its database through a TCP proxy the test owns
 * (`proxy.close()` cuts PostgreSQL off, `proxy.open()` brings it back).
 */
export async function startSystemBehindProxy(role: Role, settings: { databaseUrl: string; redisUrl: string; prefix: string }, extra: Record<string, string>) {
  const proxy = await startDatabaseProxy();
  const system = await startSystemProcess(role, systemEnv({ ...settings, databaseUrl: proxy.via(settings.databaseUrl) }, extra));
  return { proxy, system };
}

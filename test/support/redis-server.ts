import getPort from 'get-port';
import { Redis } from 'ioredis';
import { spawnOwned, stopOwnedProcesses, type OwnedProcess } from './processes.js';

export interface OwnRedisOptions {
  port?: number;
  /** Append-only persistence in this directory (a restart keeps the data); none by default. */
  appendOnlyDir?: string;
}

async function answers(port: number): Promise<boolean> {
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  probe.on('error', () => undefined); // refused until the server listens
  try {
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * A Redis of the test's own, on its own port, that the test may kill and start again, or
 * suspend. `start` does nothing while the server runs (so a teardown may call it
 * unconditionally); `stop` kills it (SIGKILL, as a crash would, suspended or not).
 */
export async function startOwnRedis(options: OwnRedisOptions = {}) {
  const port = options.port ?? (await getPort());
  const persistence = options.appendOnlyDir ? ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', options.appendOnlyDir] : ['--appendonly', 'no'];
  let server: OwnedProcess | undefined;
  const start = async () => {
    if (server?.running()) return;
    server = spawnOwned('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--maxmemory-policy', 'noeviction']);
    const deadline = Date.now() + 10_000;
    while (!(await answers(port))) {
      if (!server.running()) throw new Error(`redis-server on port ${port} exited at start (port taken?)`);
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const stop = async () => {
    await server?.kill('SIGKILL');
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    /** Suspends the server (SIGSTOP): connections stay open, commands wait for an answer. */
    freeze: () => process.kill(server!.pid, 'SIGSTOP'),
    thaw: () => process.kill(server!.pid, 'SIGCONT'),
  };
}

export type OwnRedis = Awaited<ReturnType<typeof startOwnRedis>>;

/**
 * A teardown for a test system on its own Redis: the server running and answering again
 * (a test may have killed or suspended it) so the system closes cleanly, then every process
 * the file started is stopped.
 */
export async function closeOnOwnRedis(redis: OwnRedis | undefined, system: { close(): Promise<void> } | undefined): Promise<void> {
  try {
    await redis?.start();
    redis?.thaw();
    await system?.close();
  } finally {
    await stopOwnedProcesses();
  }
}

/** The arguments of a redis-server of the tests' own: on 127.0.0.1, its files in `dir`, nothing kept on disk. */
export const ephemeralServerArgs = (port: number, dir: string): string[] => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--dir',
  dir,
  '--save',
  '',
  '--appendonly',
  'no',
];

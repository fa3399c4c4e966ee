import { Socket } from 'node:net';

/** Where the tests find PostgreSQL and Redis, and how to stop what was started for them. */
export interface TestServices {
  databaseUrl: string;
  redisUrl: string;
  stop(): Promise<void>;
}

const LOCAL_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

function answers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port), hostname, () => done(true));
  });
}

/**
 * DATABASE_URL / REDIS_URL when set, else the local services when they answer, else
 * throwaway containers (testcontainers, where a Docker engine runs).
 */
export async function resolveServices(env = process.env): Promise<TestServices> {
  const stops: Array<() => Promise<unknown>> = [];
  let databaseUrl = env.DATABASE_URL;
  let redisUrl = env.REDIS_URL;
  if (!databaseUrl && (await answers(LOCAL_DATABASE_URL))) databaseUrl = LOCAL_DATABASE_URL;
  if (!redisUrl && (await answers(LOCAL_REDIS_URL))) redisUrl = LOCAL_REDIS_URL;
  if (!databaseUrl) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:15-alpine').start();
    stops.push(() => container.stop());
    databaseUrl = container.getConnectionUri();
  }
  if (!redisUrl) {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').start();
    stops.push(() => container.stop());
    redisUrl = container.getConnectionUrl();
  }
  return {
    databaseUrl,
    redisUrl,
    stop: async () => {
      await Promise.all(stops.map((stop) => stop()));
    },
  };
}

import { Redis, type RedisOptions } from 'ioredis';

/**
 * Producers fail fast when Redis is down, so the API can answer 503 instead of hanging;
 * workers and event listeners wait for Redis to come back (BullMQ requires
 * maxRetriesPerRequest: null for blocking connections).
 */
export function createRedis(url: string, role: 'producer' | 'worker'): Redis {
  const options: RedisOptions =
    role === 'producer'
      ? { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 }
      : { maxRetriesPerRequest: null };
  return new Redis(url, options);
}

import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.js';

/**
 * Producers fail fast when Redis is down, so the API can answer 503 instead of hanging;
 * workers and event listeners wait for Redis to come back (BullMQ requires
 * maxRetriesPerRequest: null for blocking connections). Every connection reconnects by itself
 * and logs its errors once per outage rather than crashing the process.
 */
export function createRedis(url: string, role: 'producer' | 'worker', logger: Logger): Redis {
  const options: RedisOptions =
    role === 'producer'
      ? { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 }
      : { maxRetriesPerRequest: null };
  const redis = new Redis(url, { ...options, retryStrategy: (attempt) => Math.min(attempt * 200, 2_000) });
  let down = false;
  redis.on('error', (err) => {
    if (!down) logger.warn({ err: err.message, role }, 'redis connection lost; reconnecting');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info({ role }, 'redis connection back');
    down = false;
  });
  return redis;
}

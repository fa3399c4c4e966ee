import { Redis, type RedisOptions } from 'ioredis';
import type { DependencyMonitor } from '../dependencies.js';

export interface RedisSettings {
  url: string;
  /** How long a producer waits to connect before failing the request. */
  connectTimeoutMs: number;
}

/**
 * Producers fail fast when Redis is down, so the API can answer 503 instead of hanging;
 * workers and event listeners wait for Redis to come back (BullMQ requires
 * maxRetriesPerRequest: null for blocking connections). Every connection reconnects by itself
 * and reports to the dependency monitor, which logs each outage once.
 */
export function createRedis(settings: RedisSettings, role: 'producer' | 'worker', monitor: DependencyMonitor): Redis {
  const options: RedisOptions =
    role === 'producer' ? { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: settings.connectTimeoutMs } : { maxRetriesPerRequest: null };
  const redis = new Redis(settings.url, { ...options, retryStrategy: (attempt) => Math.min(attempt * 200, 2_000) });
  redis.on('error', (error) => monitor.down('redis', error));
  redis.on('ready', () => monitor.up('redis'));
  return redis;
}

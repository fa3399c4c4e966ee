import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { DependencyMonitor } from '../dependencies.js';

/** A connection to a single Redis, or a cluster client over a Redis Cluster. */
export type RedisClient = Redis | Cluster;

type Node = { host: string; port: number };

export interface RedisSettings {
  url: string;
  /** Seed nodes of a Redis Cluster; when given, `url` is not used. */
  clusterNodes?: Node[] | undefined;
  /** Sentinels watching the primary named `name`; when given, `url` is not used. */
  sentinels?: { nodes: Node[]; name: string; password?: string | undefined } | undefined;
  /** The data nodes' password with a cluster or sentinels (a URL carries its own). */
  password?: string | undefined;
  /** How long a producer waits to connect before failing the request. */
  connectTimeoutMs: number;
}

const retryStrategy = (attempt: number) => Math.min(attempt * 200, 2_000);

/** Cluster client options that carry commands through a failover (docs/dialers.md shows dialers the same). */
const CLUSTER_FAILOVER_RETRIES = { retryDelayOnFailover: 200, retryDelayOnClusterDown: 200, retryDelayOnTryAgain: 200, maxRedirections: 64 } as const;

/**
 * Producers fail fast when Redis is down, so the API can answer 503 instead of hanging;
 * workers and event listeners wait for Redis to come back (BullMQ requires
 * maxRetriesPerRequest: null for blocking connections). Every connection reconnects by itself
 * and reports to the dependency monitor, which logs each outage once. With cluster nodes, the
 * connection is an ioredis Cluster (it follows MOVED and ASK redirections and failovers); with
 * sentinels, a connection to the primary they name.
 */
export function createRedis(settings: RedisSettings, role: 'producer' | 'worker', monitor: DependencyMonitor): RedisClient {
  const producer = role === 'producer';
  const options: RedisOptions = producer
    ? { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: settings.connectTimeoutMs }
    : { maxRetriesPerRequest: null };
  const password = settings.password ? { password: settings.password } : {};
  let redis: RedisClient;
  if (settings.clusterNodes) {
    redis = new Cluster(settings.clusterNodes, {
      redisOptions: { ...options, ...password },
      clusterRetryStrategy: retryStrategy,
      enableOfflineQueue: !producer,
      // A command redirected while a primary fails over is retried for up to about 13 s (ioredis's
      // default gives up after 1.6 s), longer than a failover takes with the default node timeout.
      ...CLUSTER_FAILOVER_RETRIES,
    });
  } else if (settings.sentinels) {
    // ioredis asks the sentinels for the primary, and again after a failover.
    redis = new Redis({
      ...options,
      ...password,
      sentinels: settings.sentinels.nodes,
      name: settings.sentinels.name,
      ...(settings.sentinels.password ? { sentinelPassword: settings.sentinels.password } : {}),
      retryStrategy,
    });
  } else {
    redis = new Redis(settings.url, { ...options, retryStrategy });
  }
  redis.on('error', (error: Error) => monitor.down('redis', error));
  redis.on('ready', () => monitor.up('redis'));
  return redis;
}

import type { QueueEvents } from 'bullmq';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { Queues } from '../queues/queues.js';
import type { Clock } from '../services/clock.js';
import type { Metrics } from '../metrics.js';
import type { Redis } from 'ioredis';

/** What the HTTP layer needs from the rest of the system. */
export interface ApiDeps {
  config: Config;
  db: Db;
  queues: Queues;
  lifecycleEvents: QueueEvents;
  logger: Logger;
  clock: Clock;
  metrics: Metrics;
  /** The producer connection, pinged by /readyz. */
  redis: Redis;
}

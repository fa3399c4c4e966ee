import type { FastifyInstance } from 'fastify';
import type { QueueEvents } from 'bullmq';
import { buildServer } from './api/server.js';
import { usesDevelopmentJwtSecret, type Config } from './config.js';
import { createDb, type Db } from './db/client.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createRedis } from './queues/connection.js';
import { QueueName } from './queues/names.js';
import { createQueueEvents, createQueues, type Queues } from './queues/queues.js';
import { systemClock, type Clock } from './services/clock.js';
import { startWorkers, type RunningWorkers } from './workers/workers.js';

export type Role = 'api' | 'worker' | 'all';

export interface System {
  config: Config;
  logger: Logger;
  db: Db;
  queues: Queues;
  app?: FastifyInstance;
  workers?: RunningWorkers;
  /** Stops in order: HTTP server, workers, queues, Redis, Prisma. */
  close(): Promise<void>;
}

/** Wires the process: the API, the workers, or both, over one Prisma client and one producer connection. */
export interface SystemOptions {
  logger?: Logger;
  clock?: Clock;
}

export async function startSystem(config: Config, role: Role, options: SystemOptions = {}): Promise<System> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const clock = options.clock ?? systemClock;
  if (usesDevelopmentJwtSecret(config)) {
    logger.warn('JWT_SECRET is not set: using the development secret (refused when NODE_ENV=production)');
  }
  const db = createDb(config.DATABASE_URL, logger);
  const producer = createRedis(config.REDIS_URL, 'producer', logger);
  const queues = createQueues(producer, config.QUEUE_PREFIX, logger);
  const metrics = createMetrics();
  metrics.watchQueues(queues.all());

  let app: FastifyInstance | undefined;
  let lifecycleEvents: QueueEvents | undefined;
  if (role !== 'worker') {
    lifecycleEvents = createQueueEvents(QueueName.Lifecycle, createRedis(config.REDIS_URL, 'worker', logger), config.QUEUE_PREFIX, logger);
    app = await buildServer({ config, db, queues, lifecycleEvents, logger, clock, metrics, redis: producer });
  }
  const workers =
    role === 'api'
      ? undefined
      : await startWorkers(
          {
            db,
            queues,
            clock,
            logger,
            metrics,
            hopper: {
              horizonSeconds: config.SCHEDULE_HORIZON_SECONDS,
              batchSize: config.HOPPER_BATCH_SIZE,
              maxPromotedPerCampaign: config.HOPPER_MAX_PROMOTED_PER_CAMPAIGN,
            },
            callOutcomeTimeoutMs: config.CALL_OUTCOME_TIMEOUT * 1000,
          },
          {
            redisUrl: config.REDIS_URL,
            prefix: config.QUEUE_PREFIX,
            hopperIntervalMs: config.HOPPER_INTERVAL_MS,
            concurrency: {
              [QueueName.Lifecycle]: config.LIFECYCLE_CONCURRENCY,
              [QueueName.Dispatch]: config.DISPATCH_CONCURRENCY,
            },
          },
        );

  return {
    config,
    logger,
    db,
    queues,
    app,
    workers,
    close: async () => {
      await app?.close();
      await workers?.close();
      await lifecycleEvents?.close();
      await queues.close();
      producer.disconnect();
      await db.$disconnect();
    },
  };
}

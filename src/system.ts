import type { QueueEvents } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './api/server.js';
import { usesDevelopmentJwtSecret, type Config } from './config.js';
import { createDatabase, type Database } from './db/client.js';
import { createDependencyMonitor, isConnectionFailure } from './dependencies.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createRedis, type RedisSettings } from './queues/connection.js';
import { QueueName } from './queues/names.js';
import { createQueueEvents, createQueues, type Queues } from './queues/queues.js';
import { createBatchedUseCases } from './services/batched.js';
import { systemClock, type Clock } from './services/clock.js';
import type { ServiceDeps, ServiceSettings } from './services/deps.js';
import { secretBox } from './util/secret-box.js';
import { createWebhookTransport } from './services/webhook-transport.js';
import { startWorkers, type RunningWorkers } from './workers/workers.js';

export type Role = 'api' | 'worker' | 'all';

export interface System {
  config: Config;
  logger: Logger;
  db: Database;
  queues: Queues;
  deps: ServiceDeps;
  app?: FastifyInstance;
  workers?: RunningWorkers;
  /** Stops in order: HTTP server, workers, queues, Redis, PostgreSQL. */
  close(): Promise<void>;
}

export interface SystemOptions {
  logger?: Logger;
  clock?: Clock;
}

/**
 * After its Redis timeout, a request still has to record what Redis said (one update, which may
 * wait for a pooled connection): a command is failed as abandoned only this much later.
 */
const COMMAND_DECISION_SLACK_MS = 2_000;

export function serviceSettingsOf(config: Config): ServiceSettings {
  return {
    scheduleHorizonMs: config.SCHEDULE_HORIZON_SECONDS * 1000,
    hopperBatchSize: config.HOPPER_BATCH_SIZE,
    maxPromotedPerCampaign: config.HOPPER_MAX_PROMOTED_PER_CAMPAIGN,
    rolloutBatchSize: config.ROLLOUT_BATCH_SIZE,
    rolloutTargetsPerPass: config.ROLLOUT_TARGETS_PER_PASS,
    callOutcomeTimeoutMs: config.CALL_OUTCOME_TIMEOUT_SECONDS * 1000,
    concurrencyRetryMs: config.CONCURRENCY_RETRY_MS,
    reconcileGraceMs: config.RECONCILE_GRACE_MS,
    resumeWaitLimit: config.RESUME_WAIT_LIMIT,
    commandDecisionMs: config.REDIS_COMMAND_TIMEOUT_MS + COMMAND_DECISION_SLACK_MS,
    webhooks: {
      secrets: secretBox(config.WEBHOOK_SECRET_KEY),
      allowPrivateUrls: config.WEBHOOK_ALLOW_PRIVATE_URLS,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      retryDelaysMs: config.WEBHOOK_RETRY_DELAYS_MS,
      transport: createWebhookTransport({ timeoutMs: config.WEBHOOK_TIMEOUT_MS, allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_URLS }),
    },
  };
}

/** Wires the process: the API, the workers, or both, over one PostgreSQL pool and one producer connection. */
export async function startSystem(config: Config, role: Role, options: SystemOptions = {}): Promise<System> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const clock = options.clock ?? systemClock;
  if (usesDevelopmentJwtSecret(config)) {
    logger.warn('JWT_SECRET is not set: using the development secret (refused when NODE_ENV=production)');
  }
  const metrics = createMetrics();
  const redisSettings: RedisSettings = {
    url: config.REDIS_URL,
    clusterNodes: config.REDIS_CLUSTER_NODES,
    sentinels: config.REDIS_SENTINELS && { nodes: config.REDIS_SENTINELS, name: config.REDIS_SENTINEL_NAME!, password: config.REDIS_SENTINEL_PASSWORD },
    password: config.REDIS_PASSWORD,
    connectTimeoutMs: config.REDIS_CONNECT_TIMEOUT_MS,
  };
  // Probes are bound late: the monitor exists before the connections it watches.
  const probes: { postgres?: () => Promise<unknown>; redis?: () => Promise<unknown> } = {};
  const monitor = createDependencyMonitor(logger, metrics, probes);
  const db = createDatabase({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE, connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS }, monitor);
  const producer = createRedis(redisSettings, 'producer', monitor);
  probes.postgres = () => db.pool.query('SELECT 1');
  probes.redis = () => producer.ping();
  const queues = createQueues(producer, config.QUEUE_PREFIX, logger, monitor);
  // A suspended Redis sends no error on any connection: a scrape that cannot read the queue
  // depths is how the monitor (and `campaign_dependency_up`) learns of it.
  metrics.watchQueues(queues.all(), (error) => {
    if (isConnectionFailure(error)) monitor.down('redis', error);
    else logger.warn({ err: error }, 'metrics: could not read the queue depths');
  });
  const deps: ServiceDeps = { db, queues, clock, logger, metrics, settings: serviceSettingsOf(config) };
  const batched = createBatchedUseCases(deps);

  let app: FastifyInstance | undefined;
  let lifecycleEvents: QueueEvents | undefined;
  if (role !== 'worker') {
    lifecycleEvents = createQueueEvents(QueueName.Lifecycle, createRedis(redisSettings, 'worker', monitor), config.QUEUE_PREFIX, logger, monitor);
    app = await buildServer({ config, deps, batched, lifecycleEvents, monitor, redis: producer });
  }
  const workers =
    role === 'api'
      ? undefined
      : await startWorkers(deps, batched, {
          redis: redisSettings,
          prefix: config.QUEUE_PREFIX,
          hopperIntervalMs: config.HOPPER_INTERVAL_MS,
          reconcileIntervalMs: config.RECONCILE_INTERVAL_MS,
          monitor,
          concurrency: {
            [QueueName.Lifecycle]: config.LIFECYCLE_CONCURRENCY,
            [QueueName.Dispatch]: config.DISPATCH_CONCURRENCY,
            [QueueName.Webhooks]: config.WEBHOOK_CONCURRENCY,
          },
        });

  return {
    config,
    logger,
    db,
    queues,
    deps,
    app,
    workers,
    close: async () => {
      await app?.close();
      await workers?.close();
      await lifecycleEvents?.close();
      await queues.close();
      await deps.settings.webhooks.transport.close();
      producer.disconnect();
      monitor.close();
      await db.close();
    },
  };
}

import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { createRedis } from '../queues/connection.js';
import { JobName, QueueName } from '../queues/names.js';
import { isPermanent, type WorkerDeps } from './handler.js';
import { assertHandlersMatchCatalog, handlerFor, queuesWithJobs } from './registry.js';

export interface WorkerOptions {
  redisUrl: string;
  prefix: string;
  concurrency: Partial<Record<QueueName, number>>;
  hopperIntervalMs: number;
}

export interface RunningWorkers {
  workers: Worker[];
  close(): Promise<void>;
}

const HOPPER_SCHEDULER_ID = 'hopper';

export async function startWorkers(deps: WorkerDeps, options: WorkerOptions): Promise<RunningWorkers> {
  assertHandlersMatchCatalog();
  const connections: ReturnType<typeof createRedis>[] = [];
  const workers = [...queuesWithJobs().keys()].map((queueName) => {
    const connection = createRedis(options.redisUrl, 'worker', deps.logger);
    connections.push(connection);
    const processor = async (job: Job) => {
      const logger = deps.logger.child({ queue: queueName, job_id: job.id, job: job.name, request_id: job.data?.request_id });
      const handler = handlerFor(job.name);
      if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on ${queueName}`);
      const timer = deps.metrics.jobDuration.startTimer({ queue: queueName, job: job.name });
      try {
        const result = await handler(job, { ...deps, logger });
        logger.debug({ ms: Math.round(timer({ outcome: 'completed' }) * 1000) }, 'job done');
        return result;
      } catch (error) {
        timer({ outcome: 'failed' });
        logger.warn({ err: error, attempt: job.attemptsMade + 1 }, 'job failed');
        if (isPermanent(error)) throw new UnrecoverableError(error instanceof Error ? error.message : String(error));
        throw error;
      }
    };
    const worker = new Worker(queueName, processor, {
      connection,
      prefix: options.prefix,
      concurrency: options.concurrency[queueName] ?? 1,
    });
    worker.on('error', (err) => deps.logger.error({ err, queue: queueName }, 'worker error'));
    return worker;
  });
  // Upserting is idempotent: every worker process may do it, one schedule results. It is done
  // again whenever Redis comes back, in case it came back empty (no persistence, failover).
  const ensureHopperSchedule = () =>
    deps.queues
      .get(QueueName.Scheduler)
      .upsertJobScheduler(HOPPER_SCHEDULER_ID, { every: options.hopperIntervalMs }, {
        name: JobName.HopperTick,
        data: {},
        opts: { removeOnComplete: true, removeOnFail: { count: 100 } },
      });
  await ensureHopperSchedule();
  connections[0]?.on('ready', () => {
    ensureHopperSchedule().catch((err: unknown) => deps.logger.warn({ err }, 'could not schedule the hopper; retrying on the next reconnect'));
  });
  return {
    workers,
    close: async () => {
      await Promise.all(workers.map((worker) => worker.close()));
      connections.forEach((connection) => connection.disconnect());
    },
  };
}

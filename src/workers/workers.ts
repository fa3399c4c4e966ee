import { UnrecoverableError, Worker, type Job, type MinimalJob } from 'bullmq';
import type { DependencyMonitor } from '../dependencies.js';
import { isConnectionFailure } from '../dependencies.js';
import { InvalidData, isRetryable } from '../domain/errors.js';
import { CAPPED_BACKOFF, jobCatalog, type ScheduledJobName } from '../queues/catalog.js';
import { createRedis, type RedisSettings } from '../queues/connection.js';
import { isClusterConnection, JobName, QueueName, queuePrefix } from '../queues/names.js';
import { reportQueueErrors } from '../queues/queues.js';
import { STALL_WATCH, watchWorker } from '../queues/stall-watch.js';
import type { BatchedUseCases } from '../services/batched.js';
import type { ServiceDeps } from '../services/deps.js';
import { assertHandlersMatchCatalog, handlerFor, queuesWithJobs } from './registry.js';

export interface WorkerOptions {
  redis: RedisSettings;
  prefix: string;
  concurrency: Partial<Record<QueueName, number>>;
  hopperIntervalMs: number;
  reconcileIntervalMs: number;
  monitor: DependencyMonitor;
}

export interface RunningWorkers {
  workers: Worker[];
  close(): Promise<void>;
}

/** The `capped` backoff of the job catalog: doubling from the job's delay, never above the cap. */
export function cappedBackoff(attemptsMade: number, type?: string, _error?: Error, job?: MinimalJob): number {
  if (type !== CAPPED_BACKOFF.type) throw new Error(`unknown backoff strategy "${type}"`);
  const base = (job?.opts.backoff as { delay?: number } | undefined)?.delay ?? CAPPED_BACKOFF.delay;
  return Math.min(base * 2 ** Math.max(0, attemptsMade - 1), CAPPED_BACKOFF.maxDelayMs);
}

const SCHEDULE_RETRY_MS = 500;

/** The queue that holds the hopper and reconciler schedules. */
const SCHEDULES_QUEUE = jobCatalog[JobName.HopperTick].queue;

/**
 * A job whose process died (SIGKILL, OOM) is handed to another worker once its lock expires and
 * a stalled check sees it. BullMQ's defaults (30 s lock, 30 s checks) left a command or an
 * outcome of a killed process untouched for 60 to 90 s, a campaign in draft meanwhile. Every job
 * here commits in milliseconds and the lock is renewed every half lock while it runs.
 */
const JOB_LOCK_MS = 15_000;
const STALLED_CHECK_MS = 5_000;

/**
 * A BullMQ worker fetches its jobs one Redis call after the other and starts them once it has
 * fetched as many as it may run: a burst of lifecycle commands, each answered while its request
 * waits, is fetched by several workers side by side (their jobs still meet in one group commit),
 * each running at most this many.
 */
const LIFECYCLE_JOBS_PER_WORKER = 25;

/** The concurrency of each worker a queue gets: one worker, or several for lifecycle commands. */
function workerConcurrencies(queueName: QueueName, concurrency: number): number[] {
  const workers = queueName === QueueName.Lifecycle ? Math.ceil(concurrency / LIFECYCLE_JOBS_PER_WORKER) : 1;
  return Array.from({ length: workers }, (_, index) => Math.floor(concurrency / workers) + (index < concurrency % workers ? 1 : 0));
}

/** How often each repeatable job of the catalog runs; its scheduler id, queue and options are the catalog's. */
const scheduleIntervals = (options: WorkerOptions): Record<ScheduledJobName, number> => ({
  [JobName.HopperTick]: options.hopperIntervalMs,
  [JobName.Reconcile]: options.reconcileIntervalMs,
});

/**
 * One BullMQ worker per queue this system consumes. The processor parses each payload once with
 * its catalog schema (a malformed one fails for good), calls the job's handler with typed data,
 * and tells BullMQ whether a failure may be retried (the error's `retryable` flag).
 */
export async function startWorkers(deps: ServiceDeps, batched: BatchedUseCases, options: WorkerOptions): Promise<RunningWorkers> {
  assertHandlersMatchCatalog();
  // Upserting is idempotent: every worker process may do it, one schedule results. It is done
  // again whenever the scheduler worker's connection is ready again, in case Redis came back empty (no
  // persistence, failover); a connection may be ready before the producer that upserts is, so it
  // is retried until it succeeds (without schedules, no hopper and no reconciler run again).
  const ensureSchedules = () =>
    Promise.all(
      (Object.entries(scheduleIntervals(options)) as Array<[ScheduledJobName, number]>).map(([name, every]) => {
        const { queue, scheduler, options: opts } = jobCatalog[name];
        return deps.queues.get(queue).upsertJobScheduler(scheduler, { every }, { name, data: {}, opts });
      }),
    );
  let closing = false;
  let retry: NodeJS.Timeout | undefined;
  const scheduleAgain = () => {
    clearTimeout(retry);
    ensureSchedules().catch((error: unknown) => {
      if (closing) return;
      if (!isConnectionFailure(error)) deps.logger.warn({ err: error }, 'could not schedule the hopper; retrying');
      retry = setTimeout(scheduleAgain, SCHEDULE_RETRY_MS);
    });
  };
  const watched = [...queuesWithJobs().keys()].flatMap((queueName) => {
    const processor = async (job: Job) => {
      const logger = deps.logger.child({ queue: queueName, job_id: job.id, job: job.name, request_id: job.data?.request_id });
      const handler = handlerFor(job.name);
      if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on ${queueName}`);
      const timer = deps.metrics.jobDuration.startTimer({ queue: queueName, job: job.name });
      try {
        const parsed = handler.schema.safeParse(job.data);
        if (!parsed.success) throw new InvalidData(`malformed ${job.name} job: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
        const result = await handler.handle(parsed.data as never, { deps: { ...deps, logger }, batched, job });
        timer({ outcome: 'completed' });
        return result;
      } catch (error) {
        timer({ outcome: 'failed' });
        if (isConnectionFailure(error)) {
          // The outage itself is logged once by the monitor; each retry is not news.
          logger.debug({ err: error, attempt: job.attemptsMade + 1 }, 'job failed: dependency unavailable; retrying');
        } else {
          logger.warn({ err: error, attempt: job.attemptsMade + 1 }, 'job failed');
        }
        if (!isRetryable(error)) throw new UnrecoverableError(error instanceof Error ? error.message : String(error));
        throw error;
      }
    };
    return workerConcurrencies(queueName, options.concurrency[queueName] ?? 1).map((concurrency) =>
      watchWorker({
        queue: deps.queues.get(queueName),
        processor,
        start: (watched) => {
          const connection = createRedis(options.redis, 'worker', options.monitor);
          const worker = new Worker(queueName, watched, {
            connection,
            prefix: queuePrefix(options.prefix, queueName, isClusterConnection(connection)),
            concurrency,
            lockDuration: JOB_LOCK_MS,
            stalledInterval: STALLED_CHECK_MS,
            settings: { backoffStrategy: cappedBackoff },
          });
          reportQueueErrors(worker, queueName, deps.logger, options.monitor);
          // The schedules' queue's own connection tells when the node holding them is back.
          if (queueName === SCHEDULES_QUEUE) connection.on('ready', scheduleAgain);
          return { worker, release: () => connection.disconnect() };
        },
        report: {
          replaced: (queue, idleMs) => {
            deps.logger.warn({ queue, idle_ms: idleMs }, 'worker took no due job; replaced it');
            deps.metrics.workersReplaced.inc({ queue });
          },
          leftBehind: (queue) => deps.logger.warn({ queue }, 'worker did not finish closing; left behind'),
          // A check fails only when Redis does not answer, which the monitor reports.
          checkFailed: (error) => deps.logger.debug({ err: error }, 'could not check a worker for a stall'),
        },
        ...STALL_WATCH,
      }),
    );
  });
  await ensureSchedules();
  return {
    get workers() {
      return watched.map((worker) => worker.current());
    },
    close: async () => {
      closing = true;
      clearTimeout(retry);
      await Promise.all(watched.map((worker) => worker.close()));
    },
  };
}

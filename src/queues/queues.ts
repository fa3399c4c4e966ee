import { Queue, QueueEvents, type JobsOptions } from 'bullmq';
import type { RedisClient } from './connection.js';
import type { DependencyMonitor } from '../dependencies.js';
import { isConnectionFailure } from '../dependencies.js';
import type { Logger } from '../logger.js';
import { jobCatalog, type JobPayload } from './catalog.js';
import { isClusterConnection, JobName, QueueName, queuePrefix } from './names.js';

export interface JobToAdd<N extends JobName> {
  data: JobPayload<N>;
  /** Derived from the row the job stands for, so adding it twice queues it once. */
  jobId: string;
  delay?: number;
  /** Dialers take lower numbers first (src/domain/fair-share.ts); none: queue order. */
  priority?: number;
}

export interface Queues {
  get(name: QueueName): Queue;
  all(): Queue[];
  add<N extends JobName>(name: N, job: JobToAdd<N>, options?: JobsOptions): Promise<void>;
  /** Atomic: all the jobs or none (BullMQ addBulk). */
  addBulk<N extends JobName>(name: N, jobs: JobToAdd<N>[]): Promise<void>;
  /** Removes jobs that wait or are delayed; an active (locked) job stays and meets the dispatch guard. */
  remove(queue: QueueName, jobIds: string[]): Promise<void>;
  /** The ids among `jobIds` whose job exists and has not failed for good (waiting, delayed, active or completed). */
  liveJobs(queue: QueueName, jobIds: string[]): Promise<Set<string>>;
  close(): Promise<void>;
}

const REMOVE_CHUNK = 500;

function prepare<N extends JobName>(name: N, job: JobToAdd<N>, options: JobsOptions = {}) {
  const definition = jobCatalog[name];
  return {
    name,
    data: definition.schema.parse(job.data),
    opts: {
      ...definition.options,
      ...options,
      jobId: job.jobId,
      ...(job.delay ? { delay: Math.max(0, Math.round(job.delay)) } : {}),
      ...(job.priority ? { priority: job.priority } : {}),
    },
  };
}

/** Queue errors are connection errors in practice: the monitor logs each outage once. */
export function reportQueueErrors(
  emitter: { on(event: 'error', listener: (error: Error) => void): unknown },
  name: string,
  logger: Logger,
  monitor: DependencyMonitor,
): void {
  emitter.on('error', (error) => {
    if (isConnectionFailure(error)) monitor.down('redis', error);
    else logger.error({ err: error, queue: name }, 'queue error');
  });
}

export function createQueues(connection: RedisClient, prefix: string, logger: Logger, monitor: DependencyMonitor): Queues {
  const cluster = isClusterConnection(connection);
  const queues = new Map<QueueName, Queue>(
    Object.values(QueueName).map((name) => [name, new Queue(name, { connection, prefix: queuePrefix(prefix, name, cluster) })]),
  );
  for (const queue of queues.values()) {
    reportQueueErrors(queue, queue.name, logger, monitor);
    // Requests waiting for a command's job each listen for the queue closing.
    queue.setMaxListeners(0);
  }
  const get = (name: QueueName) => queues.get(name)!;
  const queueOf = (name: JobName) => get(jobCatalog[name].queue);
  return {
    get,
    all: () => [...queues.values()],
    add: async (name, job, options) => {
      const { data, opts } = prepare(name, job, options);
      await queueOf(name).add(name, data, opts);
    },
    addBulk: async (name, jobs) => {
      if (jobs.length === 0) return;
      await queueOf(name).addBulk(jobs.map((job) => prepare(name, job)));
    },
    remove: async (queueName, jobIds) => {
      const queue = get(queueName);
      for (let offset = 0; offset < jobIds.length; offset += REMOVE_CHUNK) {
        await Promise.all(jobIds.slice(offset, offset + REMOVE_CHUNK).map((jobId) => queue.remove(jobId)));
      }
    },
    liveJobs: async (queueName, jobIds) => {
      if (jobIds.length === 0) return new Set();
      const queue = get(queueName);
      const pipeline = connection.pipeline();
      // A job's hash always holds `timestamp`; a finished one `finishedOn`, and a completed one `returnvalue`.
      for (const jobId of jobIds) pipeline.hmget(queue.toKey(jobId), 'timestamp', 'finishedOn', 'returnvalue');
      const replies = (await pipeline.exec()) ?? [];
      const live = new Set<string>();
      replies.forEach(([error, fields]: [Error | null, unknown], index: number) => {
        if (error) throw error;
        const [timestamp, finishedOn, returnvalue] = fields as Array<string | null>;
        if (timestamp !== null && (finishedOn === null || returnvalue !== null)) live.add(jobIds[index]!);
      });
      return live;
    },
    close: async () => {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}

export function createQueueEvents(name: QueueName, connection: RedisClient, prefix: string, logger: Logger, monitor: DependencyMonitor): QueueEvents {
  const events = new QueueEvents(name, { connection, prefix: queuePrefix(prefix, name, isClusterConnection(connection)) });
  reportQueueErrors(events, name, logger, monitor);
  return events;
}

/** Job id = command id: enqueueing the same command twice queues it once. */
export async function enqueueLifecycleCommand(queues: Queues, payload: JobPayload<typeof JobName.LifecycleCommand>) {
  await queues.add(JobName.LifecycleCommand, { data: payload, jobId: payload.command_id });
}

/** Several commands' jobs at once, all or none. */
export async function enqueueLifecycleCommands(queues: Queues, payloads: ReadonlyArray<JobPayload<typeof JobName.LifecycleCommand>>) {
  await queues.addBulk(
    JobName.LifecycleCommand,
    payloads.map((payload) => ({ data: payload, jobId: payload.command_id })),
  );
}

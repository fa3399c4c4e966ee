import { setTimeout as sleep } from 'node:timers/promises';
import type { Job, Queue, Worker } from 'bullmq';

/** A worker and the connection it was given (disconnected with it). */
export interface StartedWorker {
  worker: Worker;
  release(): void;
}

export interface StallWatchOptions {
  /** The worker's queue through a producer connection: where due jobs are looked for. */
  queue: Queue;
  processor: (job: Job) => Promise<unknown>;
  /** Starts a worker (on a connection of its own) running the processor it is given. */
  start(processor: (job: Job) => Promise<unknown>): StartedWorker;
  /** Told of each replacement, of a worker left behind while closing, and of a check that failed. */
  report: {
    replaced(queue: string, idleMs: number): void;
    leftBehind(queue: string): void;
    checkFailed(error: unknown): void;
  };
  /** How long an idle worker may leave a due job untaken before it is replaced. */
  stallMs: number;
  checkEveryMs: number;
  /** How long closing waits for a worker with no job left to finish. */
  closeGraceMs: number;
}

export interface WatchedWorker {
  current(): Worker;
  close(): Promise<void>;
}

/** The system's workers and the helpers: replaced after 20 s without taking a due job; a closing one with nothing to finish waited for 5 s. */
export const STALL_WATCH = { stallMs: 20_000, checkEveryMs: 5_000, closeGraceMs: 5_000 };

/**
 * A BullMQ worker replaced when it stops taking jobs. After a Redis Cluster primary fails over,
 * the worker's blocking connection (BullMQ's own copy of the cluster client) can be left closed
 * with no reconnection scheduled: the worker then never takes another job, and closing it never
 * finishes. BullMQ relies on ioredis to reconnect and its maintainers advise recreating such a
 * worker, which this does: a worker with no job running that has taken none for `stallMs` while
 * a job of its queue was due for as long is closed (forced: it has nothing to finish) and a new
 * one started on a new connection. A paused worker is left alone.
 */
export function watchWorker(options: StallWatchOptions): WatchedWorker {
  // Real time, as BullMQ's own: the delays of the jobs it looks at are measured in it.
  const now = Date.now;
  let running = 0;
  let lastTakenAt = now();
  /** When waiting jobs were first seen with none taken since. */
  let waitingSeenAt: number | undefined;
  const processor = async (job: Job) => {
    running += 1;
    lastTakenAt = now();
    waitingSeenAt = undefined;
    try {
      return await options.processor(job);
    } finally {
      running -= 1;
    }
  };
  let started = options.start(processor);
  let closing = false;

  /** Whether a job has been due for `stallMs` (waiting, or delayed and overdue) with none taken. */
  const dueTooLong = async (at: number) => {
    const [waiting, [firstDelayed]] = await Promise.all([
      options.queue.getJobCountByTypes('wait', 'prioritized'),
      options.queue.getJobs(['delayed'], 0, 0, true),
    ]);
    if (waiting === 0) waitingSeenAt = undefined;
    else waitingSeenAt ??= at;
    const overdue = firstDelayed !== undefined && firstDelayed.timestamp + firstDelayed.delay <= at - options.stallMs;
    return overdue || (waitingSeenAt !== undefined && at - waitingSeenAt >= options.stallMs);
  };

  const check = async () => {
    const at = now();
    const { worker } = started;
    if (running > 0 || worker.isPaused() || at - lastTakenAt < options.stallMs) return;
    if (!(await dueTooLong(at)) || closing || started.worker !== worker) return;
    const stalled = started;
    started = options.start(processor);
    options.report.replaced(worker.name, at - lastTakenAt);
    lastTakenAt = now();
    waitingSeenAt = undefined;
    // Forced: it has no job to finish, and its wedged blocking connection would hold a graceful close.
    await stalled.worker.close(true).finally(() => stalled.release());
  };
  const timer = setInterval(() => {
    check().catch((error: unknown) => options.report.checkFailed(error));
  }, options.checkEveryMs);

  return {
    current: () => started.worker,
    close: async () => {
      closing = true;
      clearInterval(timer);
      const { worker, release } = started;
      let closed = false;
      const closingWorker = worker.close().finally(() => (closed = true));
      // A worker whose blocking connection is wedged never finishes closing: once it has no job
      // left to finish, it is not waited for beyond the grace.
      const deadline = now() + options.closeGraceMs;
      try {
        while (!closed && (running > 0 || now() < deadline)) await Promise.race([closingWorker, sleep(100)]);
        if (!closed) options.report.leftBehind(worker.name);
      } finally {
        release();
      }
    },
  };
}

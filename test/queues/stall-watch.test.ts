import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { watchWorker, type WatchedWorker } from '../../src/queues/stall-watch.js';
import { until } from '../support/poll.js';
import { deletePrefix } from '../support/redis-keys.js';

/**
 * The stall watch on real BullMQ workers. A worker that never takes a job stands in for one whose
 * blocking connection was left closed after a failover (it cannot be produced on demand): a
 * worker created without running.
 */

const prefix = `stall-${randomUUID().slice(0, 8)}`;
const redisUrl = inject('redisUrl');
const redis = new Redis(redisUrl);
let queue: Queue;
let watched: WatchedWorker | undefined;

beforeAll(() => {
  queue = new Queue('watched', { connection: redis, prefix });
});
afterEach(async () => {
  await watched?.close();
  watched = undefined;
});
afterAll(async () => {
  await queue.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

/** Starts workers on the queue: the first `wedged` of them never run. */
function starter(wedged: number) {
  const started: Worker[] = [];
  const start = (processor: (job: Job) => Promise<unknown>) => {
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const worker = new Worker('watched', processor, { connection, prefix, autorun: started.length >= wedged });
    worker.on('error', () => undefined);
    started.push(worker);
    return { worker, release: () => connection.disconnect() };
  };
  return { start, started };
}

const replaced: string[] = [];
const report = { replaced: (queue: string) => replaced.push(queue), leftBehind: () => undefined, checkFailed: (error: unknown) => console.error(error) };
const options = { report, stallMs: 600, checkEveryMs: 100, closeGraceMs: 1_000 };

describe('a worker that takes no due job', () => {
  it('is replaced once a waiting job has gone untaken for the stall time, and the job runs', async () => {
    const { start, started } = starter(1);
    const done: string[] = [];
    watched = watchWorker({ ...options, queue, start, processor: async (job) => done.push(job.id!) });
    const job = await queue.add('waiting', {});
    await until('the waiting job to run', async () => done.includes(job.id!), 10_000);
    expect(started).toHaveLength(2);
    expect(watched.current()).toBe(started[1]);
    expect(started[0]!.closing).toBeTruthy();
    expect(replaced).toEqual(['watched']);
  });

  it('is replaced when a delayed job is overdue', async () => {
    const { start, started } = starter(1);
    const done: string[] = [];
    watched = watchWorker({ ...options, queue, start, processor: async (job) => done.push(job.id!) });
    const job = await queue.add('delayed', {}, { delay: 50 });
    await until('the delayed job to run', async () => done.includes(job.id!), 10_000);
    expect(started).toHaveLength(2);
    expect(replaced).toEqual(['watched', 'watched']);
  });
});

describe('a busy worker', () => {
  it('is kept while it runs a job longer than the stall time, with another job waiting', async () => {
    const { start, started } = starter(0);
    const done: string[] = [];
    watched = watchWorker({
      ...options,
      queue,
      start,
      processor: async (job) => {
        if (job.name === 'long') await new Promise((resolve) => setTimeout(resolve, 1_500));
        done.push(job.name);
      },
    });
    await queue.add('long', {});
    await until('the long job to start', async () => (await queue.getActiveCount()) === 1, 5_000);
    await queue.add('next', {});
    await until('both jobs to run', async () => done.length === 2, 10_000);
    expect(done).toEqual(['long', 'next']);
    expect(started).toHaveLength(1);
  });
});

import { rmSync } from 'node:fs';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import getPort from 'get-port';
import type pg from 'pg';
import type { Redis } from 'ioredis';
import { barePayload } from '../bare/payload.js';
import { deletePrefix } from '../../test/support/redis-keys.js';
import type { RunContext } from './context.js';
import { REDIS_URL, spawnNode } from './system.js';

/** The bare references each case is compared with, measured in the same run. */

/** INSERT … SELECT of `rows` random-uuid rows into a fresh table: milliseconds. */
export function bareInsertSelect(ctx: RunContext, pool: pg.Pool, rows: number): Promise<number> {
  return ctx.once(`insert-${rows}`, async () => {
    await pool.query('DROP TABLE IF EXISTS bench_bare_rows');
    await pool.query('CREATE TABLE bench_bare_rows (id uuid PRIMARY KEY, n int NOT NULL)');
    const started = performance.now();
    await pool.query('INSERT INTO bench_bare_rows SELECT gen_random_uuid(), g FROM generate_series(1, $1::int) g', [rows]);
    const ms = performance.now() - started;
    await pool.query('DROP TABLE bench_bare_rows');
    return ms;
  });
}

export async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
}

/** What the keys of a prefix take in Redis (MEMORY USAGE summed): immune to other clients. */
export async function keysMemory(redis: Redis, prefix: string): Promise<number> {
  let total = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.memory('USAGE', key);
    for (const [, bytes] of (await pipeline.exec()) ?? []) total += Number(bytes ?? 0);
    cursor = next;
  } while (cursor !== '0');
  return total;
}

export interface BareAddBulk {
  jobsPerSecond: number;
  /** used_memory above what it was before, and the keys' own memory, while the jobs are held. */
  usedMemoryBytes: number;
  keysBytes: number;
}

/** BullMQ addBulk of `jobs` delayed jobs with a call-sized payload, batches of 1,000. */
export function bareAddBulk(ctx: RunContext, redis: Redis, jobs: number): Promise<BareAddBulk> {
  return ctx.once(`addbulk-${jobs}`, async () => {
    const prefix = `bench-bare-${Date.now().toString(36)}`;
    const queue = new Queue('bare-delayed', { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix });
    await queue.waitUntilReady();
    const before = await usedMemory(redis);
    const started = performance.now();
    for (let offset = 0; offset < jobs; offset += 1000) {
      const batch = Array.from({ length: Math.min(1000, jobs - offset) }, (_, i) => ({
        name: 'call',
        data: barePayload(offset + i),
        opts: { jobId: `bare-${offset + i}`, delay: 600_000 + i, attempts: 5 },
      }));
      await queue.addBulk(batch);
    }
    const seconds = (performance.now() - started) / 1000;
    const usedMemoryBytes = (await usedMemory(redis)) - before;
    const keysBytes = await keysMemory(redis, prefix);
    await queue.close();
    await deletePrefix(redis, prefix);
    return { jobsPerSecond: jobs / seconds, usedMemoryBytes, keysBytes };
  });
}

export interface BareWorker {
  jobsPerSecond: number;
  cpuMsPerJob: number;
  peakRssBytes: number;
}

/** A no-op BullMQ worker (concurrency 50) draining `jobs` waiting jobs, in a process of its own. */
export function bareWorker(ctx: RunContext, redis: Redis, jobs: number): Promise<BareWorker> {
  return ctx.once(`worker-${jobs}`, async () => {
    const prefix = `bench-bare-${Date.now().toString(36)}`;
    const queue = new Queue('bare', { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix });
    for (let offset = 0; offset < jobs; offset += 1000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1000, jobs - offset) }, (_, i) => ({ name: 'bare', data: barePayload(offset + i), opts: { removeOnComplete: true } })),
      );
    }
    await queue.close();
    const child = spawnNode(
      'bare-worker',
      ['bench/bare/worker.ts'],
      { ...process.env, BARE_REDIS_URL: REDIS_URL, BARE_PREFIX: prefix, BARE_JOBS: String(jobs) },
      ctx,
    );
    const code = await child.exited;
    await deletePrefix(redis, prefix);
    const line = child
      .logTail(50)
      .split('\n')
      .find((text) => text.startsWith('{"jobsPerSecond"'));
    if (code !== 0 || !line) throw new Error(`bare worker failed (exit ${code}):\n${child.logTail()}`);
    return JSON.parse(line) as BareWorker;
  });
}

export interface Latency {
  p50: number;
  p99: number;
  requestsPerSecond: number;
  failed: number;
}

/** autocannon against `url` with `connections` connections for `seconds` seconds. */
export async function measureLatency(options: autocannon.Options): Promise<Latency> {
  const result = await autocannon(options);
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    requestsPerSecond: result.requests.average,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

/** A trivial Fastify route in a process of its own, logging as the API does: its URL once it answers. */
async function withBareFastify<T>(ctx: RunContext, measure: (url: string) => Promise<T>): Promise<T> {
  const port = await getPort();
  const child = spawnNode(
    'bare-fastify',
    ['bench/bare/fastify.ts'],
    { ...process.env, PORT: String(port), LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info' },
    ctx,
  );
  let measured: T;
  try {
    const url = `http://127.0.0.1:${port}/`;
    for (
      let tries = 0;
      !(await fetch(url).then(
        (r) => r.ok,
        () => false,
      ));
      tries++
    ) {
      if (tries > 300 || !child.alive()) throw new Error(`trivial Fastify server did not start:\n${child.logTail()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    measured = await measure(url);
  } finally {
    await child.stop();
  }
  // Two lines per request at tens of thousands of requests per second: hundreds of MiB (kept
  // when the server failed, for its tail).
  rmSync(child.logPath);
  return measured;
}

/** The same load against a trivial Fastify route in a process of its own. */
export function bareLatency(ctx: RunContext, connections: number, duration: number): Promise<Latency> {
  return ctx.once(`latency-${connections}-${duration}`, () => withBareFastify(ctx, (url) => measureLatency({ url, connections, duration })));
}

/** The value at percentile `p` (nearest rank) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** p50 and p99 of one burst, and how long it took from the first request sent to the last answer. */
export interface Burst {
  p50: number;
  p99: number;
  ms: number;
}

/** `requests` run all at once: each one's latency (ms) summed up. */
export async function timeBurst(requests: number, send: (index: number) => Promise<number>): Promise<Burst> {
  const started = performance.now();
  const latencies = await Promise.all(Array.from({ length: requests }, (_, index) => send(index)));
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), ms: performance.now() - started };
}

/** `bursts` bursts of `requests` concurrent GETs (plain fetch) against a trivial Fastify route, after an untimed one. */
export function bareBursts(ctx: RunContext, requests: number, bursts: number): Promise<Burst[]> {
  const get = async (url: string) => {
    const started = performance.now();
    const response = await fetch(url);
    await response.text();
    if (!response.ok) throw new Error(`trivial Fastify route answered ${response.status}`);
    return performance.now() - started;
  };
  return ctx.once(`bursts-${requests}-${bursts}`, () =>
    withBareFastify(ctx, async (url) => {
      await timeBurst(requests, () => get(url));
      const measured: Burst[] = [];
      for (let burst = 0; burst < bursts; burst++) measured.push(await timeBurst(requests, () => get(url)));
      return measured;
    }),
  );
}

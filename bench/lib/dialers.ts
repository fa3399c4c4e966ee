import { Worker } from 'bullmq';
import { createDialerWorker } from '../../src/dialer/index.js';
import { createCampaign, expectOk, insertTargets, runCommand, waitAllAnswered, waitRolledOut } from './campaigns.js';
import { seconds, sleep } from './context.js';
import { systemCpuMeter } from './proc.js';
import type { BareWorker } from './baselines.js';
import { result, type Goal, type Result } from './report.js';
import { REDIS_URL, type BenchSystem } from './system.js';

/**
 * Dialers of the dispatch measurements, run in the bench process: the exported helper
 * createDialerWorker, and a plain BullMQ worker using POST /calls/{id}/claim and /outcome on the
 * API (spread over every API process of the system). Both answer every call at once.
 */

// Calls a dialer handles at once. A call waits on round trips (claim job, guard transaction,
// answer through QueueEvents, outcome job): at 100 the system's worker sat about 70 % idle and
// the figure measured that wait, not what the system can dispatch; at 300 its processes keep the
// machine's two cores busy (a real dialer has thousands of lines open at 1,000 calls/s).
const CONCURRENCY = 300;
const connection = { url: REDIS_URL, maxRetriesPerRequest: null };

export interface Dialer {
  close(): Promise<unknown>;
  failures(): number;
  /** When the dialer was first told to dial (performance.now()): the clock starts there. */
  firstDialAt(): number | undefined;
}

export function helperDialer(system: BenchSystem): Dialer {
  let failures = 0;
  let firstDialAt: number | undefined;
  const helper = createDialerWorker({
    connection,
    prefix: system.prefix,
    concurrency: CONCURRENCY,
    handler: async () => {
      firstDialAt ??= performance.now();
      return { status: 'answered', duration_s: 1 };
    },
    onError: () => (failures += 1),
  });
  return { close: () => helper.close(), failures: () => failures, firstDialAt: () => firstDialAt };
}

export function httpDialer(system: BenchSystem): Dialer {
  let failures = 0;
  let firstDialAt: number | undefined;
  let next = 0;
  const post = (path: string, body: unknown) =>
    fetch(`${system.baseUrls[next++ % system.baseUrls.length]}${path}`, {
      method: 'POST',
      headers: { 'x-api-key': system.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const worker = new Worker(
    'campaign-calls',
    async (job) => {
      const claim = await post(`/calls/${job.data.call_id}/claim`, { promotion: job.data.promotion });
      await claim.arrayBuffer();
      if (claim.status === 409) return;
      if (claim.status !== 200) throw new Error(`claim answered ${claim.status}`);
      firstDialAt ??= performance.now();
      const outcome = await post(`/calls/${job.data.call_id}/outcome`, { status: 'answered', duration_s: 1 });
      await outcome.arrayBuffer();
      if (outcome.status !== 200) throw new Error(`outcome answered ${outcome.status}`);
    },
    { connection, prefix: system.prefix, concurrency: CONCURRENCY },
  );
  worker.on('failed', () => (failures += 1));
  worker.on('error', () => (failures += 1));
  return { close: () => worker.close(), failures: () => failures, firstDialAt: () => firstDialAt };
}

/**
 * What the system's database did between start and stop: transactions committed or rolled back,
 * rows written (inserted, updated, deleted) and WAL bytes (the whole server's: run alone). Its
 * statistics lag about a second.
 */
function databaseCounter(system: BenchSystem) {
  const read = async () =>
    (
      await system.pool.query<{ transactions: number; rows: number; wal: string }>(
        `SELECT (xact_commit + xact_rollback)::int AS transactions, (tup_inserted + tup_updated + tup_deleted)::int AS rows,
                (pg_current_wal_lsn() - '0/0'::pg_lsn)::text AS wal
         FROM pg_stat_database WHERE datname = current_database()`,
      )
    ).rows[0]!;
  let before = { transactions: 0, rows: 0, wal: '0' };
  return {
    start: async () => {
      await sleep(1_500);
      before = await read();
    },
    stop: async () => {
      await sleep(1_500);
      const after = await read();
      return { transactions: after.transactions - before.transactions, rows: after.rows - before.rows, walBytes: Number(after.wal) - Number(before.wal) };
    },
  };
}

/** Commands the Redis server processed, from every client (the system's processes and the dialer). */
const redisCommands = async (system: BenchSystem) => Number(/total_commands_processed:(\d+)/.exec(await system.redis.info('stats'))![1]);

/** A started campaign of `size` targets with every round open: the dialer has everything to take. */
export async function readyCampaign(system: BenchSystem, size: number, label: string): Promise<string> {
  const campaignId = await createCampaign(system, `dispatch ${label} ${size}`);
  await insertTargets(system, campaignId, size);
  expectOk(await runCommand(system, campaignId, 'start'), 'start');
  await waitRolledOut(system, campaignId, 10 * 60_000);
  return campaignId;
}

/** Dials every call of the campaign with a new dialer: milliseconds from its first dial, and its errors. */
export async function dialAll(system: BenchSystem, campaignId: string, size: number, startDialer: (system: BenchSystem) => Dialer) {
  const started = performance.now();
  const dialer = startDialer(system);
  try {
    await waitAllAnswered(system, campaignId, size, Math.max(120_000, size * 20));
    // From the first dial: the dialer's own start (connections, QueueEvents) is not dispatch,
    // and at 2,000 calls it was a tenth of the time.
    return { ms: performance.now() - (dialer.firstDialAt() ?? started), failures: dialer.failures() };
  } finally {
    await dialer.close();
  }
}

/**
 * A campaign of `size` targets made ready, then dialed to the end by a new dialer: calls/s, CPU
 * per process type, and per call the PostgreSQL transactions, rows and WAL bytes written and Redis commands.
 */
export async function measureDialing(system: BenchSystem, size: number, variant: string, startDialer: (system: BenchSystem) => Dialer) {
  const campaignId = await readyCampaign(system, size, variant);
  const cpu = await systemCpuMeter(system, 'dialer (bench process)');
  const database = databaseCounter(system);
  await database.start();
  const commandsBefore = await redisCommands(system);
  await cpu.start();
  const { ms, failures } = await dialAll(system, campaignId, size, startDialer);
  const spent = await cpu.stop();
  const commands = (await redisCommands(system)) - commandsBefore;
  const written = await database.stop();
  return {
    campaignId,
    callsPerSecond: size / seconds(ms),
    cpu: spent,
    transactions: written.transactions / size,
    rowsWritten: written.rows / size,
    walBytes: written.walBytes / size,
    redisCommands: commands / size,
    failures,
  };
}

export type Dialing = Awaited<ReturnType<typeof measureDialing>>;

/** CPU ms per call of each process type, as a note reads it. */
export const cpuBreakdown = (cpu: Record<string, number>, size: number) =>
  Object.entries(cpu)
    .map(([name, ms]) => `${name} ${(ms / size).toFixed(2)}`)
    .join(', ');

/**
 * The rows of one dialing measurement: calls/s beside the no-op worker's jobs/s, then the CPU per
 * call of each process type whose name `cpuRows` accepts, beside the no-op worker's CPU per job.
 */
export function dialingRows(
  name: string,
  size: number,
  measured: Dialing,
  bare: BareWorker,
  options: { note: string; goal?: Goal; cpuRows?: (process: string) => boolean },
): Result[] {
  const rows = [
    result({
      name,
      size,
      value: measured.callsPerSecond,
      unit: 'calls/s',
      baseline: bare.jobsPerSecond,
      baselineName: 'no-op BullMQ worker',
      baselineUnit: 'jobs/s',
      note: options.note,
      ...(options.goal ? { goal: options.goal } : {}),
    }),
  ];
  for (const [process, ms] of Object.entries(measured.cpu)) {
    if (options.cpuRows && !options.cpuRows(process)) continue;
    rows.push(
      result({
        name: `${name}: CPU per call, ${process}`,
        size,
        value: ms / size,
        unit: 'ms',
        baseline: bare.cpuMsPerJob,
        baselineName: 'no-op BullMQ worker per job',
      }),
    );
  }
  return rows;
}

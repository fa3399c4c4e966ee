import { Worker } from 'bullmq';
import { createDialerWorker } from '../../src/dialer/index.js';
import { bareWorker } from '../lib/baselines.js';
import { createCampaign, expectOk, insertTargets, runCommand, waitAllAnswered, waitRolledOut } from '../lib/campaigns.js';
import { seconds, sleep, type RunContext } from '../lib/context.js';
import { systemCpuMeter } from '../lib/proc.js';
import { result, type Result } from '../lib/report.js';
import { REDIS_URL, startBenchSystem, type BenchSystem } from '../lib/system.js';

/**
 * Dispatch end to end: a started campaign of n targets, every round open, then a dialer that
 * answers at once takes every call: promotion, claim, outcome recorded, round ended. (a) with
 * the exported helper createDialerWorker, (b) a plain BullMQ worker using POST /calls/{id}/claim
 * and /outcome on the API. The dialer runs in this process, the system's roles in theirs. Calls/s
 * against a bare no-op BullMQ worker's jobs/s, and the CPU each process spent per call.
 */
// Calls a dialer handles at once. A call waits on round trips (claim job, guard transaction,
// answer through QueueEvents, outcome job): at 100 the system's worker sat about 70 % idle and
// the figure measured that wait, not what the system can dispatch; at 300 its processes keep the
// machine's two cores busy (a real dialer has thousands of lines open at 1,000 calls/s).
const CONCURRENCY = 300;
const connection = { url: REDIS_URL, maxRetriesPerRequest: null };

interface Dialer {
  close(): Promise<unknown>;
  failures(): number;
  /** When the dialer was first told to dial (performance.now()): the clock starts there. */
  firstDialAt(): number | undefined;
}

function helperDialer(system: BenchSystem): Dialer {
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

function httpDialer(system: BenchSystem): Dialer {
  let failures = 0;
  let firstDialAt: number | undefined;
  const post = (path: string, body: unknown) =>
    fetch(`${system.baseUrl}${path}`, {
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

/** PostgreSQL transactions committed or rolled back in the system's database (its statistics lag about a second). */
function transactionCounter(system: BenchSystem) {
  const read = async () =>
    (await system.pool.query<{ n: number }>(`SELECT (xact_commit + xact_rollback)::int AS n FROM pg_stat_database WHERE datname = current_database()`)).rows[0]!
      .n;
  let before = 0;
  return {
    start: async () => {
      await sleep(1_500);
      before = await read();
    },
    stop: async () => {
      await sleep(1_500);
      return (await read()) - before;
    },
  };
}

/** A started campaign of `size` targets with every round open: the dialer has everything to take. */
async function readyCampaign(system: BenchSystem, size: number, label: string): Promise<string> {
  const campaignId = await createCampaign(system, `dispatch ${label} ${size}`);
  await insertTargets(system, campaignId, size);
  expectOk(await runCommand(system, campaignId, 'start'), 'start');
  await waitRolledOut(system, campaignId, 10 * 60_000);
  return campaignId;
}

/** Dials every call of the campaign with a new dialer: milliseconds from its first dial, and its errors. */
async function dialAll(system: BenchSystem, campaignId: string, size: number, startDialer: (system: BenchSystem) => Dialer) {
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

async function run(system: BenchSystem, size: number, variant: string, startDialer: (system: BenchSystem) => Dialer) {
  const campaignId = await readyCampaign(system, size, variant);
  const cpu = await systemCpuMeter(system, 'dialer (bench process)');
  const transactions = transactionCounter(system);
  await transactions.start();
  await cpu.start();
  const { ms, failures } = await dialAll(system, campaignId, size, startDialer);
  const spent = await cpu.stop();
  return { callsPerSecond: size / seconds(ms), cpu: spent, transactions: (await transactions.stop()) / size, failures };
}

export async function dispatchCase(ctx: RunContext): Promise<Result[]> {
  const results: Result[] = [];
  const system = await startBenchSystem(ctx, 'dispatch');
  try {
    // An untimed run of each dialer first, as the import case sends an untimed request: the
    // system's processes answer the first size warm (the API's HTTP path ran cold at 2,000 calls).
    for (const startDialer of [helperDialer, httpDialer]) await dialAll(system, await readyCampaign(system, 500, 'warm-up'), 500, startDialer);
    for (const size of ctx.sizes([2_000, 20_000])) {
      // Enough jobs for the bare worker to reach its pace (a few thousand drain in a blink).
      const bare = await bareWorker(ctx, system.redis, Math.max(size, 20_000));
      for (const [variant, startDialer, goal] of [
        ['helper', helperDialer, 1_000],
        ['HTTP', httpDialer, 500],
      ] as const) {
        const measured = await run(system, size, variant, startDialer);
        const note = `${measured.transactions.toFixed(2)} PostgreSQL transactions per call${measured.failures > 0 ? `, ${measured.failures} dialer errors` : ''}`;
        results.push(
          result({
            name: `dispatch (${variant === 'helper' ? 'createDialerWorker' : 'HTTP claim + outcome'})`,
            size,
            value: measured.callsPerSecond,
            unit: 'calls/s',
            baseline: bare.jobsPerSecond,
            baselineName: 'no-op BullMQ worker',
            baselineUnit: 'jobs/s',
            goal: ['≥', goal],
            note,
          }),
        );
        for (const [process, ms] of Object.entries(measured.cpu)) {
          results.push(
            result({
              name: `dispatch (${variant}): CPU per call, ${process}`,
              size,
              value: ms / size,
              unit: 'ms',
              baseline: bare.cpuMsPerJob,
              baselineName: 'no-op BullMQ worker per job',
            }),
          );
        }
        const breakdown = Object.entries(measured.cpu)
          .map(([name, ms]) => `${name} ${(ms / size).toFixed(2)}`)
          .join(', ');
        ctx.log(`dispatch ${variant} ${size}: ${measured.callsPerSecond.toFixed(0)} calls/s, ${note}; CPU ms per call: ${breakdown}`);
      }
    }
  } finally {
    await system.close();
  }
  return results;
}

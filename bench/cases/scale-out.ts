import { bareWorker, keysMemory } from '../lib/baselines.js';
import { sleep, type RunContext } from '../lib/context.js';
import { cpuBreakdown, dialAll, dialingRows, helperDialer, httpDialer, measureDialing, readyCampaign, type Dialer } from '../lib/dialers.js';
import type { Result } from '../lib/report.js';
import { startBenchSystem, type BenchSystem } from '../lib/system.js';

/**
 * Scale-out: the same campaign dialed by one worker process and by two (the helper dialer), and
 * through one API process and two (the HTTP dialer, its requests spread over the APIs): calls/s
 * beside a bare no-op BullMQ worker's jobs/s, and the CPU each process type spent per call. The
 * first configuration also measures what the capacity model of docs/scaling.md takes as inputs:
 * PostgreSQL transactions, rows and WAL bytes written and Redis commands per call, Redis bytes per promoted
 * job, and bytes per target and per call row (printed as a note under the table).
 */

interface Configuration {
  dialer: 'helper' | 'HTTP';
  apis: number;
  workers: number;
}

const CONFIGURATIONS: Configuration[] = [
  { dialer: 'helper', apis: 1, workers: 1 },
  { dialer: 'helper', apis: 1, workers: 2 },
  { dialer: 'HTTP', apis: 1, workers: 1 },
  { dialer: 'HTTP', apis: 1, workers: 2 },
  { dialer: 'HTTP', apis: 2, workers: 2 },
];

const DIALERS: Record<Configuration['dialer'], (system: BenchSystem) => Dialer> = { helper: helperDialer, HTTP: httpDialer };
const label = ({ dialer, apis, workers }: Configuration) => `${dialer}, ${apis} API + ${workers} worker${workers > 1 ? 's' : ''}`;
const WARM_UP = 2_000;

/** Calls of the campaign promoted to Redis and not yet taken, once the hopper has stopped adding (its budget reached). */
async function settledPromotions(system: BenchSystem, campaignId: string): Promise<number> {
  const promoted = async () =>
    (
      await system.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM calls WHERE campaign_id = $1::uuid AND status = 'scheduled' AND promoted_at IS NOT NULL`,
        [campaignId],
      )
    ).rows[0]!.n;
  let last = -1;
  return system.waitFor(
    'the hopper to reach its budget',
    async () => {
      const now = await promoted();
      const settled = now > 0 && now === last;
      last = now;
      return settled ? now : undefined;
    },
    60_000,
    1_000,
  );
}

/** On-disk bytes per row of a table (its indexes and TOAST included) and its row count. */
async function bytesPerRow(system: BenchSystem, table: 'targets' | 'calls') {
  const { rows } = await system.pool.query<{ bytes: string; n: number }>(
    `SELECT pg_total_relation_size('${table}'::regclass)::text AS bytes, (SELECT count(*)::int FROM ${table}) AS n`,
  );
  return { perRow: Number(rows[0]!.bytes) / Math.max(rows[0]!.n, 1), rows: rows[0]!.n };
}

/** The first configuration's warm-up campaign, measured while the hopper holds its budget of jobs in Redis. */
async function redisBytesPerPromotedJob(system: BenchSystem): Promise<{ campaignId: string; bytes: number }> {
  const campaignId = await readyCampaign(system, WARM_UP, 'warm-up');
  const promoted = await settledPromotions(system, campaignId);
  await sleep(500);
  return { campaignId, bytes: (await keysMemory(system.redis, system.prefix)) / promoted };
}

export async function scaleOutCase(ctx: RunContext): Promise<Result[]> {
  const results: Result[] = [];
  const [size] = ctx.sizes([2_000, 20_000]).slice(-1) as [number];
  const firsts = new Map<Configuration['dialer'], number>();
  for (const configuration of CONFIGURATIONS) {
    const system = await startBenchSystem(ctx, `scale-out-${configuration.apis}a${configuration.workers}w`, {
      apis: configuration.apis,
      workers: configuration.workers,
    });
    try {
      // Measured once per run (the dispatch case shares it).
      const bare = await bareWorker(ctx, system.redis, Math.max(size, 20_000));
      const first = results.length === 0;
      // An untimed campaign first, so every process answers the measured one warm.
      const warmUp = first ? await redisBytesPerPromotedJob(system) : { campaignId: await readyCampaign(system, WARM_UP, 'warm-up'), bytes: 0 };
      await dialAll(system, warmUp.campaignId, WARM_UP, DIALERS[configuration.dialer]);
      const measured = await measureDialing(system, size, label(configuration), DIALERS[configuration.dialer]);
      const reference = firsts.get(configuration.dialer) ?? measured.callsPerSecond;
      firsts.set(configuration.dialer, reference);
      const breakdown = cpuBreakdown(measured.cpu, size);
      const note =
        `${(measured.callsPerSecond / reference).toFixed(2)}× one process of each; per call ${measured.transactions.toFixed(2)} PostgreSQL transactions, ` +
        `CPU ms ${breakdown}${measured.failures > 0 ? `; ${measured.failures} dialer errors` : ''}`;
      // The bench's own dialer is in the note only: it is not the system.
      results.push(...dialingRows(`scale-out (${label(configuration)})`, size, measured, bare, { note, cpuRows: (process) => !process.startsWith('dialer') }));
      ctx.log(`scale-out ${label(configuration)} ${size}: ${measured.callsPerSecond.toFixed(0)} calls/s; CPU ms per call: ${breakdown}`);
      if (first) {
        const [targets, calls] = [await bytesPerRow(system, 'targets'), await bytesPerRow(system, 'calls')];
        ctx.notes.push(
          `capacity inputs (${label(configuration)}, ${size} calls, one answered attempt each): ` +
            `${measured.transactions.toFixed(2)} PostgreSQL transactions, ${measured.rowsWritten.toFixed(1)} rows and ${Math.round(measured.walBytes)} WAL bytes written and ` +
            `${measured.redisCommands.toFixed(1)} Redis commands per call (every client, dialer included); ` +
            `${Math.round(warmUp.bytes)} Redis bytes per promoted job; on disk with indexes ${Math.round(targets.perRow)} bytes per target, ` +
            `${Math.round(calls.perRow)} per call row.`,
        );
      }
    } finally {
      await system.close();
    }
  }
  return results;
}

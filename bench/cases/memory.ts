import { createDialerWorker } from '../../src/dialer/index.js';
import { bareAddBulk, bareWorker, keysMemory, usedMemory } from '../lib/baselines.js';
import { createCampaign, expectOk, insertTargets, runCommand } from '../lib/campaigns.js';
import { sleep, type RunContext } from '../lib/context.js';
import { result, type Result } from '../lib/report.js';
import { REDIS_URL, startBenchSystem } from '../lib/system.js';

/**
 * Memory: Redis used_memory above idle while a campaign of 1,000,000 targets (--quick: 10,000)
 * runs, its rounds being opened and a dialer (the helper, answering at once) taking calls for
 * a while; against BullMQ's bare cost of the jobs the system may hold per campaign
 * (addBulk of HOPPER_MAX_PROMOTED_PER_CAMPAIGN = 5,000 delayed jobs). Then the peak RSS of
 * every worker process of the run, against a bare no-op BullMQ worker process.
 */
const MAX_PROMOTED = 5_000;
const MiB = 1024 * 1024;

export async function memoryCase(ctx: RunContext): Promise<Result[]> {
  const size = ctx.quick ? 10_000 : 1_000_000;
  const dialingMs = ctx.quick ? 10_000 : 60_000;
  const system = await startBenchSystem(ctx, 'memory', { env: { HOPPER_MAX_PROMOTED_PER_CAMPAIGN: String(MAX_PROMOTED) } });
  const results: Result[] = [];
  let bareRss: number | undefined;
  try {
    const campaignId = await createCampaign(system, `memory ${size}`);
    await insertTargets(system, campaignId, size);
    let idle = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5; i++, await sleep(200)) idle = Math.min(idle, await usedMemory(system.redis));

    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      for (; sampling; await sleep(200)) peak = Math.max(peak, await usedMemory(system.redis));
    })();
    expectOk(await runCommand(system, campaignId, 'start'), 'start');
    const dialer = createDialerWorker({
      connection: { url: REDIS_URL, maxRetriesPerRequest: null },
      prefix: system.prefix,
      concurrency: 100,
      handler: async () => ({ status: 'answered', duration_s: 1 }),
    });
    await sleep(dialingMs);
    const keys = await keysMemory(system.redis, system.prefix);
    sampling = false;
    await sampler;
    await dialer.close();
    const { rows } = await system.pool.query<{ answered: number }>(
      `SELECT count(*)::int AS answered FROM calls WHERE campaign_id = $1::uuid AND status = 'answered'`,
      [campaignId],
    );
    const note = `${rows[0]!.answered} calls answered in ${dialingMs / 1000} s`;
    const bare = await bareAddBulk(ctx, system.redis, MAX_PROMOTED);
    results.push(
      result({
        name: 'Redis used_memory above idle, running campaign',
        size,
        value: (peak - idle) / MiB,
        unit: 'MiB',
        baseline: bare.usedMemoryBytes / MiB,
        baselineName: `addBulk of ${MAX_PROMOTED} delayed jobs`,
        goal: ['<', 64],
        note,
      }),
      result({
        name: "Redis memory of the system's keys (MEMORY USAGE), end of the dialing",
        size,
        value: keys / MiB,
        unit: 'MiB',
        baseline: bare.keysBytes / MiB,
        baselineName: `addBulk of ${MAX_PROMOTED} delayed jobs`,
      }),
    );
    ctx.log(`memory ${size}: Redis ${((peak - idle) / MiB).toFixed(1)} MiB above idle, keys ${(keys / MiB).toFixed(1)} MiB; ${note}`);
    bareRss = (await bareWorker(ctx, system.redis, 20_000)).peakRssBytes;
  } finally {
    // Closing records the peak RSS of this case's worker too.
    await system.close();
  }
  const top = ctx.workerPeaks.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  results.push(
    result({
      name: 'peak RSS of the worker process',
      size,
      value: top.bytes / MiB,
      unit: 'MiB',
      baseline: (bareRss ?? Number.NaN) / MiB,
      baselineName: 'no-op BullMQ worker process',
      goal: ['<', 512],
      note: `highest of ${ctx.workerPeaks.length} worker processes, in case ${top.case}`,
    }),
  );
  return results;
}

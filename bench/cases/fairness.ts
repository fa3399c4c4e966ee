import { Queue } from 'bullmq';
import { createDialerWorker } from '../../src/dialer/index.js';
import { QueueName } from '../../src/queues/names.js';
import { createCampaign, expectOk, insertTargets, runCommand, waitAllAnswered } from '../lib/campaigns.js';
import { seconds, sleep, type RunContext } from '../lib/context.js';
import { result, type Result } from '../lib/report.js';
import { addOrganization, REDIS_URL, startBenchSystem, type BenchOrganization, type BenchSystem } from '../lib/system.js';

/**
 * Fairness on a dialer of fixed capacity (100 lines, 200 ms a call: 500 calls/s at most, a
 * telephony trunk in miniature). The first call of small campaigns of a second organization
 * started while a large campaign keeps the dialer busy, against the same small campaigns started
 * on an idle system; and the large campaign's calls/s while they run, against its calls/s alone.
 */
const LINES = 100;
const CALL_MS = 200;
const SMALL_TARGETS = 5;
const connection = { url: REDIS_URL, maxRetriesPerRequest: null };

/** The dialer, recording when each campaign's first call reached it and when each call ended. */
function trunk(system: BenchSystem) {
  const firstCall = new Map<string, number>();
  const ended = new Map<string, number[]>();
  let inFlight = 0;
  let failures = 0;
  const helper = createDialerWorker({
    connection,
    prefix: system.prefix,
    concurrency: LINES,
    handler: async (data) => {
      inFlight += 1;
      if (!firstCall.has(data.campaign_id)) firstCall.set(data.campaign_id, performance.now());
      try {
        await sleep(CALL_MS);
      } finally {
        inFlight -= 1;
      }
      const times = ended.get(data.campaign_id) ?? [];
      times.push(performance.now());
      ended.set(data.campaign_id, times);
      return { status: 'answered', duration_s: 1 };
    },
    onError: () => (failures += 1),
  });
  return {
    firstCall,
    /** Calls of the campaign that ended in [from, to) (performance.now() times). */
    endedBetween: (campaignId: string, from: number, to: number) => (ended.get(campaignId) ?? []).filter((at) => at >= from && at < to).length,
    ended: (campaignId: string) => ended.get(campaignId)?.length ?? 0,
    inFlight: () => inFlight,
    failures: () => failures,
    close: () => helper.close(),
  };
}

type Trunk = ReturnType<typeof trunk>;

/** Nearest-rank percentile. */
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * values.length) - 1)]!;

/** Draft campaigns of the organization, `SMALL_TARGETS` targets each (inserted with SQL). */
async function smallCampaigns(system: BenchSystem, organization: BenchOrganization, count: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = await createCampaign(system, `fairness small ${label} ${i}`, organization.request);
    await insertTargets(system, id, SMALL_TARGETS);
    ids.push(id);
  }
  return ids;
}

interface Wave {
  /** First-call latency of each campaign, ms; a campaign whose first call never came counts as the whole wait. */
  latencies: number[];
  missing: number;
}

/**
 * Starts every campaign at once (concurrent POST …/start) and waits, at most `timeoutMs`, until
 * the dialer has had a call of each. Latency: from the campaign's start request being sent to
 * its first call reaching the dialer's handler.
 */
async function startWave(organization: BenchOrganization, dialer: Trunk, ids: string[], timeoutMs: number): Promise<Wave> {
  const sent = new Map<string, number>();
  const waveStarted = performance.now();
  await Promise.all(
    ids.map(async (id) => {
      sent.set(id, performance.now());
      const answer = await organization.request('POST', `/campaigns/${id}/start`);
      if (answer.status !== 200 && answer.status !== 202)
        throw new Error(`start of a small campaign answered ${answer.status}: ${JSON.stringify(answer.json)}`);
    }),
  );
  while (ids.some((id) => !dialer.firstCall.has(id)) && performance.now() - waveStarted < timeoutMs) await sleep(20);
  const deadline = waveStarted + timeoutMs;
  const latencies = ids.map((id) => (dialer.firstCall.get(id) ?? deadline) - sent.get(id)!);
  return { latencies, missing: ids.filter((id) => !dialer.firstCall.has(id)).length };
}

/** A started campaign of organization A; resolves when the dialer had its first call (at most a minute). */
async function startBig(system: BenchSystem, dialer: Trunk, size: number, label: string): Promise<{ id: string; firstCallAt: number }> {
  const id = await createCampaign(system, `fairness big ${label} ${size}`);
  await insertTargets(system, id, size);
  expectOk(await runCommand(system, id, 'start'), `start of the ${label} big campaign`);
  const firstCallAt = await system.waitFor(`the first call of the ${label} big campaign`, async () => dialer.firstCall.get(id), 60_000, 20);
  return { id, firstCallAt };
}

/** Pauses the campaign (its jobs are withdrawn) and waits, at most a minute, until the dialer and its queue are idle. */
async function stopBig(system: BenchSystem, dialer: Trunk, id: string): Promise<void> {
  expectOk(await runCommand(system, id, 'pause'), 'pause of the big campaign');
  const calls = new Queue(QueueName.Calls, { connection, prefix: system.prefix });
  try {
    await system.waitFor(
      'the dialer to be idle',
      async () => {
        const counts = await calls.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        return dialer.inFlight() === 0 && Object.values(counts).every((n) => n === 0) ? true : undefined;
      },
      60_000,
      100,
    );
  } finally {
    await calls.close();
  }
}

const untilMoment = (at: number) => sleep(Math.max(0, at - performance.now()));

export async function fairnessCase(ctx: RunContext): Promise<Result[]> {
  const size = ctx.quick ? 5_000 : 20_000;
  const smallCount = ctx.quick ? 10 : 30;
  // The big campaign's calls/s are read over a window this long, after this much dialing (warm-up);
  // the dialer's 500 calls/s leave the big campaign targets for the whole window.
  const warmUpMs = ctx.quick ? 4_000 : 5_000;
  const windowMs = ctx.quick ? 5_000 : 10_000;
  const waveTimeoutMs = 60_000;
  const system = await startBenchSystem(ctx, 'fairness');
  const dialer = trunk(system);
  const results: Result[] = [];
  try {
    const other = await addOrganization(system, 'bench B');
    // Untimed: the system's processes and the dialer answer the measured waves warm.
    const warm = await createCampaign(system, 'fairness warm-up');
    await insertTargets(system, warm, 500);
    expectOk(await runCommand(system, warm, 'start'), 'start of the warm-up campaign');
    await waitAllAnswered(system, warm, 500, 60_000);

    // Reference: the small campaigns alone on an idle system.
    const aloneIds = await smallCampaigns(system, other, smallCount, 'alone');
    const alone = await startWave(other, dialer, aloneIds, waveTimeoutMs);
    await system.waitFor(
      'the small campaigns to be dialed',
      async () => (aloneIds.every((id) => dialer.ended(id) >= SMALL_TARGETS) ? true : undefined),
      60_000,
    );

    // Reference: the big campaign's calls/s alone.
    const bigAlone = await startBig(system, dialer, size, 'alone');
    const aloneFrom = bigAlone.firstCallAt + warmUpMs;
    await untilMoment(aloneFrom + windowMs);
    const aloneRate = dialer.endedBetween(bigAlone.id, aloneFrom, aloneFrom + windowMs) / seconds(windowMs);
    await stopBig(system, dialer, bigAlone.id);

    // Beside: the same small campaigns while a big campaign of the other organization keeps the dialer busy.
    const besideIds = await smallCampaigns(system, other, smallCount, 'beside');
    const big = await startBig(system, dialer, size, 'beside');
    await untilMoment(big.firstCallAt + warmUpMs);
    const busyWith = dialer.ended(big.id);
    const besideFrom = performance.now();
    const [beside, besideRate] = await Promise.all([
      startWave(other, dialer, besideIds, waveTimeoutMs),
      untilMoment(besideFrom + windowMs).then(() => dialer.endedBetween(big.id, besideFrom, besideFrom + windowMs) / seconds(windowMs)),
    ]);

    const aloneP95 = seconds(percentile(alone.latencies, 95));
    const besideP95 = seconds(percentile(beside.latencies, 95));
    const ratioMet = aloneP95 > 0 && besideP95 / aloneP95 <= 2;
    const censored = (wave: Wave, label: string) =>
      wave.missing > 0
        ? `, ${wave.missing} of ${smallCount} ${label} had no call within ${seconds(waveTimeoutMs)} s (counted as ${seconds(waveTimeoutMs)} s)`
        : '';
    results.push(
      result({
        name: `fairness: first call of a small campaign, p95 beside a ${size.toLocaleString('en-US')}-target campaign`,
        size,
        value: besideP95,
        unit: 's',
        baseline: aloneP95,
        baselineName: `${smallCount} small campaigns started alone, p95`,
        goal: ['<', 3],
        note: `goal also ratio ≤ 2: ${ratioMet ? 'met' : 'missed'}; median ${seconds(percentile(beside.latencies, 50)).toFixed(2)} s beside, ${seconds(percentile(alone.latencies, 50)).toFixed(2)} s alone${censored(beside, 'beside')}${censored(alone, 'alone')}`,
      }),
    );
    results.push(
      result({
        name: 'fairness: big campaign calls/s beside small campaigns',
        size,
        value: besideRate,
        unit: 'calls/s',
        baseline: aloneRate,
        baselineName: `the big campaign alone, ${seconds(warmUpMs)}–${seconds(warmUpMs + windowMs)} s of its dialing`,
        goal: ['≥', 0.9, 'ratio'],
        note: `${seconds(windowMs)} s from the small campaigns' start, ${busyWith} of its calls ended before it${dialer.failures() > 0 ? `, ${dialer.failures()} dialer errors` : ''}`,
      }),
    );
    ctx.log(
      `fairness: first call p95 ${besideP95.toFixed(2)} s beside, ${aloneP95.toFixed(2)} s alone; big campaign ${besideRate.toFixed(0)} calls/s beside, ${aloneRate.toFixed(0)} alone`,
    );
  } finally {
    await dialer.close();
    await system.close();
  }
  return results;
}

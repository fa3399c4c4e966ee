import { bareBursts, timeBurst, type Burst } from '../lib/baselines.js';
import { createCampaign, expectOk, insertTargets, runCommand, waitRolledOut } from '../lib/campaigns.js';
import type { RunContext } from '../lib/context.js';
import { systemCpuMeter } from '../lib/proc.js';
import { formatNumber, result, type Result } from '../lib/report.js';
import { startBenchSystem, type BenchSystem } from '../lib/system.js';

/**
 * A burst of start commands: 100 draft campaigns (created through the API) of 10 targets each
 * (written with SQL), and one `POST /campaigns/{id}/start` per campaign, all sent at once with
 * plain fetch. Each request is timed until its answer (or its result, polled after a 202). Three
 * bursts, each on fresh campaigns once the rollouts of the one before have finished, after an
 * untimed one (the processes answer warm, as in the other cases); the worst p50 and p99 are
 * reported. Against as many concurrent GETs of a trivial Fastify route, after an untimed burst too.
 */
const CAMPAIGNS = 100;
const TARGETS = 10;
const BURSTS = 3;
const GOAL_P99_MS = 250;

async function draftCampaigns(system: BenchSystem, count: number, label: string): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const campaignId = await createCampaign(system, `${label} ${i}`);
      await insertTargets(system, campaignId, TARGETS);
      return campaignId;
    }),
  );
}

interface StartBurst extends Burst {
  polled: number;
  /** CPU milliseconds per command of each process, from the first request to the last answer. */
  cpu: Record<string, number>;
}

/** Starts every campaign at once; checks each answered the running campaign; waits for their rollouts. */
async function startBurst(system: BenchSystem, campaignIds: string[]): Promise<StartBurst> {
  let polled = 0;
  const meter = await systemCpuMeter(system, 'bench');
  await meter.start();
  const burst = await timeBurst(campaignIds.length, async (index) => {
    const run = expectOk(await runCommand(system, campaignIds[index]!, 'start'), 'start');
    if (run.body.status !== 'running') throw new Error(`start answered a campaign in ${run.body.status}`);
    if (run.polled) polled++;
    return run.ms;
  });
  const cpu = Object.fromEntries(Object.entries(await meter.stop()).map(([name, ms]) => [name, ms / campaignIds.length]));
  // The next burst meets a quiet system: the hopper has opened every round of this one.
  await Promise.all(campaignIds.map((campaignId) => waitRolledOut(system, campaignId, 5 * 60_000)));
  return { ...burst, polled, cpu };
}

const worst = (bursts: Burst[], key: 'p50' | 'p99') => Math.max(...bursts.map((burst) => burst[key]));
const listed = (bursts: Burst[], key: 'p50' | 'p99') => bursts.map((burst) => formatNumber(burst[key])).join(' · ');

export async function startsCase(ctx: RunContext): Promise<Result[]> {
  const system = await startBenchSystem(ctx, 'starts');
  const bursts: StartBurst[] = [];
  try {
    await startBurst(system, await draftCampaigns(system, CAMPAIGNS, 'starts warm-up'));
    for (let burst = 0; burst < BURSTS; burst++) {
      const measured = await startBurst(system, await draftCampaigns(system, CAMPAIGNS, `starts ${burst}`));
      const perSecond = (CAMPAIGNS / measured.ms) * 1000;
      ctx.log(
        `starts burst ${burst + 1}: p50 ${measured.p50.toFixed(0)} ms p99 ${measured.p99.toFixed(0)} ms, ${perSecond.toFixed(0)} commands/s, ${measured.polled} answered 202; CPU ms per command: ${Object.entries(
          measured.cpu,
        )
          .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
          .join(', ')}`,
      );
      bursts.push(measured);
    }
  } finally {
    await system.close();
  }
  const bare = await bareBursts(ctx, CAMPAIGNS, BURSTS);
  ctx.log(`starts: trivial route bursts p50 ${listed(bare, 'p50')} ms, p99 ${listed(bare, 'p99')} ms`);
  const perSecond = bursts.map((burst) => formatNumber((CAMPAIGNS / burst.ms) * 1000)).join(' · ');
  const polled = bursts.reduce((sum, burst) => sum + burst.polled, 0);
  return (['p50', 'p99'] as const).map((key) =>
    result({
      name: `start burst latency ${key}, ${CAMPAIGNS} concurrent starts of draft campaigns (${TARGETS} targets), worst of ${BURSTS} bursts`,
      size: CAMPAIGNS,
      value: worst(bursts, key),
      unit: 'ms',
      baseline: worst(bare, key),
      baselineName: `trivial Fastify route, ${CAMPAIGNS} concurrent GETs`,
      note: `bursts ${listed(bursts, key)} ms; ${perSecond} commands/s${polled > 0 ? `; ${polled} answered 202` : ''}`,
      ...(key === 'p99' ? { goal: ['<', GOAL_P99_MS] as const } : {}),
    }),
  );
}

import { bareLatency, measureLatency } from '../lib/baselines.js';
import { createCampaign, expectOk, insertTargets, runCommand } from '../lib/campaigns.js';
import type { RunContext } from '../lib/context.js';
import { result, type Result } from '../lib/report.js';
import { startBenchSystem } from '../lib/system.js';

/**
 * Lifecycle command latency under load: autocannon with 100 connections sending
 * POST /campaigns/{id}/start round-robin over 100 running campaigns (one target each, its call
 * pending). Each is an idempotent start: the full command path (command row, job on
 * campaign-lifecycle, the worker locking the campaign and recording the event and the result,
 * the API woken by the job's completion) without a rollout to record. Against a trivial Fastify
 * route under the same load.
 */
const CONNECTIONS = 100;

export async function latencyCase(ctx: RunContext): Promise<Result[]> {
  const duration = ctx.quick ? 5 : 20;
  const system = await startBenchSystem(ctx, 'latency');
  try {
    const campaigns = await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, i) => {
        const campaignId = await createCampaign(system, `latency ${i}`);
        await insertTargets(system, campaignId, 1);
        expectOk(await runCommand(system, campaignId, 'start'), 'start');
        return campaignId;
      }),
    );
    let next = 0;
    const measured = await measureLatency({
      url: system.baseUrl,
      connections: CONNECTIONS,
      duration,
      requests: [
        {
          method: 'POST',
          headers: { 'x-api-key': system.apiKey },
          setupRequest: (request) => ({ ...request, path: `/campaigns/${campaigns[next++ % campaigns.length]}/start` }),
        },
      ],
    });
    const bare = await bareLatency(ctx, CONNECTIONS, duration);
    ctx.log(
      `latency: idempotent start p50 ${measured.p50} ms p99 ${measured.p99} ms (${measured.requestsPerSecond.toFixed(0)} req/s, ${measured.failed} failed); trivial route p50 ${bare.p50} ms p99 ${bare.p99} ms (${bare.requestsPerSecond.toFixed(0)} req/s)`,
    );
    const note = `${Math.round(measured.requestsPerSecond)} commands/s${measured.failed > 0 ? `, ${measured.failed} failed` : ''}`;
    return (['p50', 'p99'] as const).map((percentile) =>
      result({
        name: `lifecycle command latency ${percentile}, idempotent start, ${CONNECTIONS} connections`,
        size: CONNECTIONS,
        value: measured[percentile],
        unit: 'ms',
        baseline: bare[percentile],
        baselineName: 'trivial Fastify route',
        note,
      }),
    );
  } finally {
    await system.close();
  }
}

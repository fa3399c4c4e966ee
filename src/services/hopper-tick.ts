import { runningCampaignsWithoutWork, staleDialingCalls } from '../db/repositories/hopper.js';
import { Conflict } from '../domain/errors.js';
import type { Metrics } from '../metrics.js';
import { enqueueSettle } from './after-commit.js';
import { recordCallOutcome } from './call-outcomes.js';
import { promoteDueWork, type HopperDeps } from './hopper.js';

export interface TickDeps extends HopperDeps {
  metrics: Metrics;
  /** A call `dialing` this long without an outcome counts as failed. */
  callOutcomeTimeoutMs: number;
}

const STALE_BATCH = 500;

/** The scheduler's periodic pass: promote due work, fail calls the dialer lost, settle idle campaigns. */
export async function hopperTick(deps: TickDeps) {
  const promoted = await promoteDueWork(deps);
  const stale = await staleDialingCalls(deps.db, new Date(deps.clock().getTime() - deps.callOutcomeTimeoutMs), STALE_BATCH);
  for (const callId of stale) {
    await recordCallOutcome(deps, {
      callId,
      report: { status: 'failed', summary: 'No outcome reported within CALL_OUTCOME_TIMEOUT.' },
    }).catch((error: unknown) => {
      // The real outcome arrived in the meantime: it wins.
      if (!(error instanceof Conflict)) throw error;
    });
  }
  if (stale.length) deps.logger.warn({ calls: stale.length }, 'calls without outcome past the timeout counted as failed');
  const idle = await runningCampaignsWithoutWork(deps.db);
  const tick = deps.clock().getTime();
  for (const campaignId of idle) {
    await enqueueSettle(deps.queues, campaignId, `tick-${tick}`);
  }
  return { ...promoted, failedStale: stale.length, settling: idle.length };
}

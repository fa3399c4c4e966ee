import type { ConnectionOptions } from 'bullmq';
import { createDialerWorker, type CallJobData, type CallOutcomeReport, type HelperFailure } from '../../src/dialer/index.js';

/** One call the dialer placed: which row, which promotion, when it was placed and hung up. */
export interface PlacedCall {
  callId: string;
  targetId: string;
  attempt: number;
  promotion: number;
  jobId: string;
  outcome: CallOutcomeReport;
  dialedAt: number;
  /** When the handler returned (its report follows); unset while the call lasts. */
  hungUpAt: number | undefined;
}

export interface ScriptedDialerOptions {
  redisUrl: string;
  /** A connection other than `redisUrl` (a cluster, sentinels): a Cluster or ioredis options. */
  connection?: ConnectionOptions;
  prefix: string;
  concurrency?: number;
  /** How long the guard's answer may take before the job is retried (BullMQ backoff). */
  claimTimeoutMs?: number;
  /** How long each call lasts (ms); a function may hold a call until the test lets it end. */
  callDuration?: number | ((data: CallJobData) => Promise<void>);
}

/**
 * A dialer built on the exported helper (src/dialer), as a customer would run it, against the
 * system's Redis. Each target scripts its calls in `variables.calls` by attempt number (default
 * no_answer), e.g. ["no_answer", "answered"]. It records every call it places, and every
 * failure the helper reports (nothing is printed).
 */
export function startScriptedDialer(options: ScriptedDialerOptions) {
  const placed: PlacedCall[] = [];
  const failures: Array<{ error: string; failure: HelperFailure }> = [];
  const duration = options.callDuration ?? 20;
  const helper = createDialerWorker({
    connection: options.connection ?? { url: options.redisUrl, maxRetriesPerRequest: null },
    prefix: options.prefix,
    concurrency: options.concurrency ?? 10,
    claimTimeoutMs: options.claimTimeoutMs ?? 5_000,
    onError: (error, failure) => failures.push({ error: error instanceof Error ? error.message : String(error), failure }),
    handler: async (data, job) => {
      const script = (data.variables.calls as Array<string | CallOutcomeReport> | undefined) ?? [];
      const step = script[data.attempt - 1] ?? 'no_answer';
      const outcome = typeof step === 'string' ? ({ status: step } as CallOutcomeReport) : step;
      const call: PlacedCall = {
        callId: data.call_id,
        targetId: data.target_id,
        attempt: data.attempt,
        promotion: data.promotion,
        jobId: job.id!,
        outcome,
        dialedAt: Date.now(),
        hungUpAt: undefined,
      };
      placed.push(call);
      await (typeof duration === 'number' ? new Promise((resolve) => setTimeout(resolve, duration)) : duration(data));
      call.hungUpAt = Date.now();
      return outcome;
    },
  });
  return {
    placed,
    failures,
    /** Calls placed per call row. */
    dialsPerCall(): Map<string, number> {
      const counts = new Map<string, number>();
      for (const call of placed) counts.set(call.callId, (counts.get(call.callId) ?? 0) + 1);
      return counts;
    },
    close: () => helper.close(),
  };
}

export type ScriptedDialer = ReturnType<typeof startScriptedDialer>;

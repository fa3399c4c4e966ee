import type { Database } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Queues } from '../queues/queues.js';
import type { SecretBox } from '../util/secret-box.js';
import type { Clock } from './clock.js';
import type { WebhookTransport } from './webhook-transport.js';

/** Settings the use cases read, parsed once from the environment (src/config.ts). */
export interface ServiceSettings {
  /** Rows due within this many milliseconds become delayed jobs. */
  scheduleHorizonMs: number;
  /** Rows the hopper promotes per statement (its promotion only; rollouts have their own). */
  hopperBatchSize: number;
  /** Jobs one campaign may hold in Redis at once. */
  maxPromotedPerCampaign: number;
  /** Targets whose rounds a rollout opens per statement: one batch, one transaction. */
  rolloutBatchSize: number;
  /**
   * Targets one campaign's rollout opens per hopper pass; while it has more, passes follow each
   * other without waiting for the interval.
   */
  rolloutTargetsPerPass: number;
  /**
   * A call left dialing this long without an outcome is recorded as timed out; a message left
   * sending this long, as failed.
   */
  callOutcomeTimeoutMs: number;
  /** A call held by a concurrency limit is offered again after this long. */
  concurrencyRetryMs: number;
  /**
   * The reconciler checks a promoted row, or an accepted command, against Redis only once it is
   * this old; a pending command is failed only once older than this and `commandDecisionMs`.
   */
  reconcileGraceMs: number;
  /** A resume whose segment holds more targets answers 202 at once. */
  resumeWaitLimit: number;
  /**
   * How long a command may stay pending (recorded, its job not confirmed queued) before whoever
   * waits on it fails it: its request's Redis timeout, and time for its update.
   */
  commandDecisionMs: number;
  webhooks: {
    /** Seals and opens signing secrets at rest (WEBHOOK_SECRET_KEY). */
    secrets: SecretBox;
    allowPrivateUrls: boolean;
    timeoutMs: number;
    retryDelaysMs: number[];
    /** The process's HTTP client for deliveries (closed with the process). */
    transport: WebhookTransport;
  };
}

/**
 * Everything a use case may need. Each use case names the part it takes
 * (`Pick<ServiceDeps, 'db' | 'clock'>`), so its signature says what it touches.
 */
export interface ServiceDeps {
  db: Database;
  queues: Queues;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  settings: ServiceSettings;
}

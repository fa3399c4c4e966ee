import type { Database } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Queues } from '../queues/queues.js';
import type { Clock } from './clock.js';

/** Settings the use cases read, parsed once from the environment (src/config.ts). */
export interface ServiceSettings {
  /** Rows due within this many milliseconds become delayed jobs. */
  scheduleHorizonMs: number;
  /** Rows promoted, or targets drawn into rounds, per statement. */
  hopperBatchSize: number;
  /** Jobs one campaign may hold in Redis at once. */
  maxPromotedPerCampaign: number;
  /** Targets drawn into rounds per statement, and per hopper pass and campaign at most. */
  rolloutBatchSize: number;
  drawPerPass: number;
  /** A call left dialing this long without an outcome is recorded as timed out. */
  callOutcomeTimeoutMs: number;
  /** A call held by a concurrency limit is offered again after this long. */
  concurrencyRetryMs: number;
  /** A promoted row is checked against Redis only once its promotion is this old. */
  reconcileGraceMs: number;
  /** A resume whose segment holds more targets answers 202 at once. */
  resumeWaitLimit: number;
  /**
   * How long a command may stay pending (recorded, its job not confirmed queued) before whoever
   * waits on it fails it: its request's Redis timeout, and time for its update.
   */
  commandDecisionMs: number;
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

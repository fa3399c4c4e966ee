import type { Job } from 'bullmq';
import { ZodError } from 'zod';
import type { Db } from '../db/client.js';
import { DomainError, PermanentFailure } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Queues } from '../queues/queues.js';
import type { Clock } from '../services/clock.js';
import type { HopperSettings } from '../services/hopper.js';

export interface WorkerDeps {
  db: Db;
  queues: Queues;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  hopper: HopperSettings;
  callOutcomeTimeoutMs: number;
}

export type JobHandler = (job: Job, deps: WorkerDeps) => Promise<unknown>;

/** Failures no retry can fix: a malformed payload, a missing row, a domain rule. */
export const isPermanent = (error: unknown) =>
  error instanceof ZodError || error instanceof DomainError || error instanceof PermanentFailure;

export const isFinalAttempt = (job: Job, error: unknown) =>
  isPermanent(error) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

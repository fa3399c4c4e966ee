import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { CallJobData, CallOutcomeJobData, ClaimJobData, WhatsappEventJobData, WhatsappJobData } from './payloads.js';
import { JobName, QueueName } from './names.js';

type Consumer = 'system' | 'external';

interface JobDefinition {
  queue: QueueName;
  schema: z.ZodType;
  options: JobsOptions;
  /** `external`: consumed by dialers or WhatsApp senders outside this system (no handler here). */
  consumer: Consumer;
  /**
   * A repeatable job: the id of its job scheduler in Redis (never renamed: a new id would leave
   * the old schedule running). Its interval is a setting (src/workers/workers.ts).
   */
  scheduler?: string;
}

// `const`: each entry keeps its literal types (its consumer, its scheduler), which the types below read.
const define = <const D extends JobDefinition>(definition: D) => definition;

const keepFinished = { removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } };
const retried = { attempts: 5, backoff: { type: 'exponential', delay: 500 }, ...keepFinished };

/**
 * Outcomes and events must not be lost while PostgreSQL is down: they are retried with a
 * backoff that doubles from 0.5 s up to one minute (the `capped` strategy, src/workers), for
 * about a day (OUTCOME_RETRY_ATTEMPTS attempts), and kept only briefly once recorded (they come
 * by the thousand per second).
 */
export const OUTCOME_RETRY_ATTEMPTS = 1_500;
export const CAPPED_BACKOFF = { type: 'capped', delay: 500, maxDelayMs: 60_000 } as const;
const durable = {
  attempts: OUTCOME_RETRY_ATTEMPTS,
  backoff: { type: CAPPED_BACKOFF.type, delay: CAPPED_BACKOFF.delay },
  removeOnComplete: { age: 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** A periodic pass (no payload) is not retried: the next one comes soon and does the same. */
const periodic = <const S extends string>(scheduler: S) =>
  define({
    queue: QueueName.Scheduler,
    schema: z.object({}),
    options: { attempts: 1, removeOnComplete: true, removeOnFail: { count: 100 } },
    consumer: 'system',
    scheduler,
  });

/** Every job of the system: its queue, its payload, how it is retried, and whether it repeats. */
export const jobCatalog = {
  [JobName.LifecycleCommand]: define({
    queue: QueueName.Lifecycle,
    schema: z.object({ command_id: z.uuid(), request_id: z.string().optional() }),
    options: retried,
    consumer: 'system',
  }),
  [JobName.SettleCampaign]: define({
    queue: QueueName.Lifecycle,
    schema: z.object({ campaign_id: z.uuid() }),
    options: { ...retried, removeOnComplete: true },
    consumer: 'system',
  }),
  [JobName.HopperTick]: periodic('hopper'),
  [JobName.Reconcile]: periodic('reconciler'),
  [JobName.Call]: define({
    queue: QueueName.Calls,
    schema: CallJobData,
    options: { attempts: 5, backoff: { type: 'exponential', delay: 5_000 }, ...keepFinished },
    consumer: 'external',
  }),
  [JobName.Whatsapp]: define({
    queue: QueueName.Whatsapp,
    schema: WhatsappJobData,
    options: { attempts: 5, backoff: { type: 'exponential', delay: 5_000 }, ...keepFinished },
    consumer: 'external',
  }),
  [JobName.Claim]: define({
    queue: QueueName.Dispatch,
    schema: ClaimJobData,
    // The helper waits for the answer (it arrives with the completion event); a retry would
    // answer nobody. Claims come by the thousand per second: keep few.
    options: { attempts: 1, removeOnComplete: { age: 60, count: 1_000 }, removeOnFail: { age: 3600, count: 1_000 } },
    consumer: 'system',
  }),
  [JobName.CallOutcome]: define({
    queue: QueueName.Dispatch,
    schema: CallOutcomeJobData,
    options: durable,
    consumer: 'system',
  }),
  [JobName.WhatsappEvent]: define({
    queue: QueueName.Dispatch,
    schema: WhatsappEventJobData,
    options: durable,
    consumer: 'system',
  }),
  // One attempt of one delivery (job id webhook-<delivery>-<attempts>): the delivery's row
  // schedules the next attempt itself; a job retried here only when PostgreSQL failed it. Gone
  // once finished, so the reconciler can queue an attempt again under the same id.
  [JobName.DeliverWebhook]: define({
    queue: QueueName.Webhooks,
    // The attempt it is for: a job of an attempt already made (a stray copy) does nothing.
    schema: z.object({ delivery_id: z.uuid(), attempts: z.int().min(0) }),
    options: { attempts: 5, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: true, removeOnFail: true },
    consumer: 'system',
  }),
} as const;

export type JobPayload<N extends JobName> = z.input<(typeof jobCatalog)[N]['schema']>;
export type SystemJobName = {
  [N in JobName]: (typeof jobCatalog)[N]['consumer'] extends 'system' ? N : never;
}[JobName];
/** The repeatable jobs: those with a job scheduler. */
export type ScheduledJobName = {
  [N in JobName]: (typeof jobCatalog)[N] extends { scheduler: string } ? N : never;
}[JobName];

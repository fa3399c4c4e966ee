/**
 * Helpers for the processes that contact targets: dialers (queue `campaign-calls`) and WhatsApp
 * senders (queue `campaign-whatsapp`). Each job passes the dispatch guard before the handler
 * runs (campaign running, work still needed, the job current); the handler's result is
 * reported back through Redis. Only a Redis connection and the system's BullMQ prefix are needed.
 */
import { Queue, QueueEvents, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { jobCatalog } from '../queues/catalog.js';
import { JobName, QueueName } from '../queues/names.js';
import {
  CallJobData,
  WhatsappJobData,
  type CallOutcomeReport,
  type ClaimJobData,
  type ClaimResult,
  type WhatsappEvent,
} from '../queues/payloads.js';

export type { CallJobData, CallOutcomeReport, WhatsappJobData, WhatsappEvent };
export { QueueName, JobName };

export interface HelperOptions<Data, Result> {
  /** ioredis options or instance; BullMQ needs `maxRetriesPerRequest: null` for workers. */
  connection: ConnectionOptions;
  /** The system's QUEUE_PREFIX (default "bull"). */
  prefix?: string;
  concurrency?: number;
  /** How long to wait for the guard's answer before retrying the job later. */
  claimTimeoutMs?: number;
  handler: (data: Data, job: Job) => Promise<Result>;
}

export interface RunningHelper {
  worker: Worker;
  close(): Promise<void>;
}

/** A guard answer arrives through a job on `campaign-dispatch` that the system processes. */
function createClaimer(connection: ConnectionOptions, prefix: string, timeoutMs: number) {
  const dispatch = new Queue(QueueName.Dispatch, { connection, prefix });
  // Every job waiting for its guard answer listens on this queue: one listener per concurrent job.
  dispatch.setMaxListeners(0);
  const events = new QueueEvents(QueueName.Dispatch, { connection, prefix });
  events.setMaxListeners(0);
  dispatch.on('error', () => undefined);
  events.on('error', () => undefined);
  return {
    dispatch,
    async claim(claim: ClaimJobData, job: Job): Promise<ClaimResult> {
      const claimJob = await dispatch.add(JobName.Claim, claim, {
        ...jobCatalog[JobName.Claim].options,
        jobId: `claim-${claim.kind}-${claim.id}-${claim.promotion}-${job.attemptsMade}`,
      });
      return (await claimJob.waitUntilFinished(events, timeoutMs)) as ClaimResult;
    },
    async close() {
      await events.close();
      await dispatch.close();
    },
  };
}

function startHelper<Data, Result>(
  queue: QueueName,
  parse: (data: unknown) => Data,
  claimOf: (data: Data) => ClaimJobData,
  report: (dispatch: Queue, data: Data, result: Result) => Promise<void>,
  options: HelperOptions<Data, Result>,
): RunningHelper {
  const prefix = options.prefix ?? 'bull';
  const claimer = createClaimer(options.connection, prefix, options.claimTimeoutMs ?? 30_000);
  const worker = new Worker(
    queue,
    async (job) => {
      const data = parse(job.data);
      const verdict = await claimer.claim(claimOf(data), job);
      if (!verdict.proceed) {
        // Its promotion is not recorded yet: try again after BullMQ's backoff.
        if (verdict.retry) throw new Error(verdict.reason);
        // Paused, completed, goal already met, or a stale copy of the job: contact nobody.
        return { skipped: verdict.reason };
      }
      const result = await options.handler(data, job);
      await report(claimer.dispatch, data, result);
      return result;
    },
    { connection: options.connection, prefix, concurrency: options.concurrency ?? 10 },
  );
  worker.on('error', () => undefined);
  return {
    worker,
    close: async () => {
      await worker.close();
      await claimer.close();
    },
  };
}

async function reportCallOutcome(dispatch: Queue, data: CallJobData, outcome: CallOutcomeReport) {
  await dispatch.add(JobName.CallOutcome, { ...outcome, call_id: data.call_id }, {
    ...jobCatalog[JobName.CallOutcome].options,
    jobId: `outcome-${data.call_id}`,
  });
}

/**
 * Consumes `campaign-calls`: for each due call that passes the guard, `handler` places the call
 * and returns its outcome, which is reported for you. Throwing retries the job (with backoff).
 */
export function createDialerWorker(options: HelperOptions<CallJobData, CallOutcomeReport>): RunningHelper {
  return startHelper(
    QueueName.Calls,
    (data) => CallJobData.parse(data),
    (data) => ({ kind: 'call', id: data.call_id, promotion: data.promotion }),
    reportCallOutcome,
    options,
  );
}

/** What a WhatsApp handler returns: whether the message went out. */
export interface WhatsappSendResult {
  status: Extract<WhatsappEvent, 'sent' | 'failed'>;
}

/** Reports a later event of a message (delivered, read, replied) through Redis. */
export async function reportWhatsappEvent(
  connection: ConnectionOptions,
  prefix: string,
  messageId: string,
  event: WhatsappEvent,
): Promise<void> {
  const dispatch = new Queue(QueueName.Dispatch, { connection, prefix });
  try {
    await dispatch.add(JobName.WhatsappEvent, { message_id: messageId, event }, {
      ...jobCatalog[JobName.WhatsappEvent].options,
      jobId: `whatsapp-event-${messageId}-${event}`,
    });
  } finally {
    await dispatch.close();
  }
}

/** Consumes `campaign-whatsapp`: `handler` sends the message and says whether it went out. */
export function createWhatsappWorker(options: HelperOptions<WhatsappJobData, WhatsappSendResult>): RunningHelper {
  return startHelper(
    QueueName.Whatsapp,
    (data) => WhatsappJobData.parse(data),
    (data) => ({ kind: 'whatsapp', id: data.message_id, promotion: data.promotion }),
    async (dispatch, data, result) => {
      await dispatch.add(JobName.WhatsappEvent, { message_id: data.message_id, event: result.status }, {
        ...jobCatalog[JobName.WhatsappEvent].options,
        jobId: `whatsapp-event-${data.message_id}-${result.status}`,
      });
    },
    options,
  );
}

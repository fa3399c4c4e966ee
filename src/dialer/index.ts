/**
 * Helpers for the processes that contact targets: dialers (queue `campaign-calls`) and WhatsApp
 * senders (queue `campaign-whatsapp`). Each job passes the dispatch guard before the handler
 * runs (campaign running, work still needed, the job current, target not listed, pacing); the
 * handler's result is reported back through Redis. Only a Redis connection and the system's
 * BullMQ prefix are needed.
 */
import { createHash } from 'node:crypto';
import { Queue, QueueEvents, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { jobCatalog } from '../queues/catalog.js';
import { isClusterConnection, JobName, QueueName, queuePrefix } from '../queues/names.js';
import { CallJobData, WhatsappJobData, type CallOutcomeReport, type ClaimJobData, type ClaimResult, type WhatsappEvent } from '../queues/payloads.js';
import { STALL_WATCH, watchWorker } from '../queues/stall-watch.js';

export type { CallJobData, CallOutcomeReport, WhatsappJobData, WhatsappEvent };
export { QueueName, JobName };

/** Where a helper failed: the guard, a handler, a report, or the connection. */
export type HelperFailure = { stage: 'claim' | 'handler' | 'report' | 'connection'; jobId?: string | undefined };

export interface HelperOptions<Data, Result> {
  /** ioredis options or instance; BullMQ needs `maxRetriesPerRequest: null` for workers. */
  connection: ConnectionOptions;
  /** The system's QUEUE_PREFIX (default "bull"). */
  prefix?: string;
  /**
   * The system runs on a Redis Cluster (REDIS_CLUSTER_NODES): each queue's keys carry a hash tag
   * of their own (`{<prefix>:<queue>}`). Default: true when `connection` is an ioredis Cluster.
   */
  cluster?: boolean;
  concurrency?: number;
  /** How long to wait for the guard's answer before retrying the job later. */
  claimTimeoutMs?: number;
  handler: (data: Data, job: Job) => Promise<Result>;
  /** Told of every failure (default: printed to stderr). Nothing is swallowed silently. */
  onError?: (error: unknown, failure: HelperFailure) => void;
}

export interface RunningHelper {
  worker: Worker;
  close(): Promise<void>;
}

const printError = (error: unknown, failure: HelperFailure) =>
  console.error(`campaign helper: ${failure.stage} failed${failure.jobId ? ` (job ${failure.jobId})` : ''}:`, error instanceof Error ? error.message : error);

/** Retries `attempt` until it succeeds or the helper closes: a reported outcome must not be lost. */
async function persist<T>(attempt: () => Promise<T>, isClosing: () => boolean, onFailure: (error: unknown) => void): Promise<T> {
  for (let delay = 200; ; delay = Math.min(delay * 2, 10_000)) {
    try {
      return await attempt();
    } catch (error) {
      onFailure(error);
      if (isClosing()) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * The dispatch queue, shared by a helper's claims and reports: a guard answer arrives as the
 * completion of a claim job on `campaign-dispatch` that the system processes.
 */
const EVENTS_LOOKBACK_MS = 60_000;

/** Contacts a helper remembers, to report again rather than repeat one whose job Redis delivers again. */
const CONTACTS_KEPT = 100_000;

/** The prefix of each queue as the system names it (src/queues/names.ts). */
type Prefixes = (queue: QueueName) => string;

function prefixesOf(options: { connection: ConnectionOptions; prefix?: string | undefined; cluster?: boolean | undefined }): Prefixes {
  const cluster = options.cluster ?? isClusterConnection(options.connection);
  return (queue) => queuePrefix(options.prefix ?? 'bull', queue, cluster);
}

function createDispatch(connection: ConnectionOptions, prefixes: Prefixes, onError: NonNullable<HelperOptions<unknown, unknown>['onError']>) {
  const prefix = prefixes(QueueName.Dispatch);
  const queue = new Queue(QueueName.Dispatch, { connection, prefix });
  // Every job waiting for its guard answer also listens for the queue closing.
  queue.setMaxListeners(0);
  queue.on('error', (error) => onError(error, { stage: 'connection' }));
  // Opened with the first claim: a reporter alone never waits for answers.
  let events: QueueEvents | undefined;
  const answers = () => {
    if (!events) {
      // Its reader starts reading the events stream a moment after the first claim is queued
      // (on a cluster, after discovering the slots): from "now" it could miss that claim's answer
      // and wait for its timeout. It reads from a minute back instead (Redis's clock, which
      // stamps the stream, may differ from this one); earlier answers have no waiter.
      events = new QueueEvents(QueueName.Dispatch, { connection, prefix, lastEventId: `${Date.now() - EVENTS_LOOKBACK_MS}-0` });
      // Every job waiting for its guard answer listens on this emitter: one listener per concurrent job.
      events.setMaxListeners(0);
      events.on('error', (error) => onError(error, { stage: 'connection' }));
    }
    return events;
  };
  return {
    async claim(claim: ClaimJobData, job: Job, timeoutMs: number, retry = 0): Promise<ClaimResult> {
      const listener = answers();
      const claimJob = await queue.add(JobName.Claim, claim, {
        ...jobCatalog[JobName.Claim].options,
        jobId: `claim-${claim.kind}-${claim.id}-${claim.promotion}-${job.attemptsMade}${retry ? `-again-${retry}` : ''}`,
      });
      return (await claimJob.waitUntilFinished(listener, timeoutMs)) as ClaimResult;
    },
    async report(name: typeof JobName.CallOutcome | typeof JobName.WhatsappEvent, data: object, jobId: string): Promise<void> {
      await queue.add(name, data, { ...jobCatalog[name].options, jobId });
    },
    async close() {
      await events?.close();
      await queue.close();
    },
  };
}

type Dispatch = ReturnType<typeof createDispatch>;

function startHelper<Data, Result>(
  queue: QueueName,
  parse: (data: unknown) => Data,
  claimOf: (data: Data) => ClaimJobData,
  report: (dispatch: Dispatch, data: Data, result: Result) => Promise<void>,
  options: HelperOptions<Data, Result>,
): RunningHelper {
  const prefixes = prefixesOf(options);
  const onError = options.onError ?? printError;
  const dispatch = createDispatch(options.connection, prefixes, onError);
  let closing = false;
  /** The contacts this process made, by call or message: the latest CONTACTS_KEPT of them. */
  const contacts = new Map<string, Promise<Result>>();
  const remember = (key: string, contact: Promise<Result>) => {
    contacts.set(key, contact);
    if (contacts.size > CONTACTS_KEPT) contacts.delete(contacts.keys().next().value!);
  };
  const processor = async (job: Job) => {
    const data = parse(job.data);
    const timeoutMs = options.claimTimeoutMs ?? 30_000;
    let verdict: ClaimResult;
    try {
      verdict = await dispatch.claim(claimOf(data), job, timeoutMs);
    } catch (error) {
      onError(error, { stage: 'claim', jobId: job.id });
      // Usually the job is retried (BullMQ backoff) and claims again. But if Redis lost the
      // job (restarted empty), no retry will come, and if the guard had already handed the
      // call to this job (its answer lost with Redis), nobody else would ever place it: ask
      // again until answered. The guard answers a claim of the current promotion (dial) or of
      // a stale one (the reconciler promoted the row again: drop), so it is placed once.
      const state = await persist(
        () => job.getState(),
        () => closing,
        (failure) => onError(failure, { stage: 'connection', jobId: job.id }),
      );
      if (state !== 'unknown') throw error;
      let retry = 0;
      verdict = await persist(
        () => dispatch.claim(claimOf(data), job, timeoutMs, (retry += 1)),
        () => closing,
        (failure) => onError(failure, { stage: 'claim', jobId: job.id }),
      );
    }
    if (!verdict.proceed) {
      // Its promotion is not recorded yet: try again after BullMQ's backoff.
      if (verdict.retry) throw new Error(verdict.reason);
      // Paused, completed, listed, paced, goal already met, or a stale copy: contact nobody.
      return { skipped: verdict.reason };
    }
    // A job Redis delivers again after a failover lost its taking is answered as a redelivery
    // (dial), as after a crash: in this process, the contact already made is reported again
    // instead of contacting the target twice.
    const claimed = claimOf(data);
    const key = `${claimed.kind}:${claimed.id}`;
    let contact = contacts.get(key);
    if (!contact) {
      contact = options.handler(data, job);
      remember(key, contact);
    }
    let result: Result;
    try {
      result = await contact;
    } catch (error) {
      contacts.delete(key);
      onError(error, { stage: 'handler', jobId: job.id });
      throw error;
    }
    // The contact happened: its report is retried until it gets through (failing the job now
    // would contact the target again).
    await persist(
      () => report(dispatch, data, result),
      () => closing,
      (error) => onError(error, { stage: 'report', jobId: job.id }),
    );
    return result;
  };
  // Where the stall watch looks for due jobs (src/queues/stall-watch.ts): after a Redis failover
  // a worker may stop taking jobs, and is then replaced.
  const due = new Queue(queue, { connection: options.connection, prefix: prefixes(queue) });
  due.on('error', (error) => onError(error, { stage: 'connection' }));
  const watched = watchWorker({
    queue: due,
    processor,
    start: (watchedProcessor) => {
      const worker = new Worker(queue, watchedProcessor, { connection: options.connection, prefix: prefixes(queue), concurrency: options.concurrency ?? 10 });
      worker.on('error', (error) => onError(error, { stage: 'connection' }));
      // The connection is the caller's: nothing of this worker's own to release.
      return { worker, release: () => undefined };
    },
    report: {
      replaced: (name, idleMs) => onError(new Error(`the ${name} worker took no due job for ${idleMs} ms; replaced it`), { stage: 'connection' }),
      leftBehind: (name) => onError(new Error(`the ${name} worker did not finish closing; left behind`), { stage: 'connection' }),
      checkFailed: (error) => onError(error, { stage: 'connection' }),
    },
    ...STALL_WATCH,
  });
  return {
    get worker() {
      return watched.current();
    },
    close: async () => {
      closing = true;
      await watched.close();
      await due.close();
      await dispatch.close();
    },
  };
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
    (dispatch, data, outcome) => dispatch.report(JobName.CallOutcome, { ...outcome, call_id: data.call_id }, `outcome-${data.call_id}-${outcome.status}`),
    options,
  );
}

/** What a WhatsApp handler returns: whether the message went out. */
export interface WhatsappSendResult {
  status: Extract<WhatsappEvent, 'sent' | 'failed'>;
}

/** Consumes `campaign-whatsapp`: `handler` sends the message and says whether it went out. */
export function createWhatsappWorker(options: HelperOptions<WhatsappJobData, WhatsappSendResult>): RunningHelper {
  return startHelper(
    QueueName.Whatsapp,
    (data) => WhatsappJobData.parse(data),
    (data) => ({ kind: 'whatsapp', id: data.message_id, promotion: data.promotion }),
    (dispatch, data, result) =>
      dispatch.report(JobName.WhatsappEvent, { message_id: data.message_id, event: result.status }, `whatsapp-event-${data.message_id}-${result.status}`),
    options,
  );
}

export interface EventReporter {
  /**
   * Reports a later event of a message (delivered, read, replied) through Redis; a reply may
   * carry its text (an opt-out keyword such as STOP opts the person out).
   */
  reportWhatsappEvent(messageId: string, event: WhatsappEvent, text?: string): Promise<void>;
  close(): Promise<void>;
}

/** One connection for all the later events a sender reports (replies arrive by the thousand). */
export function createEventReporter(options: {
  connection: ConnectionOptions;
  prefix?: string;
  /** As for the helpers: the system runs on a Redis Cluster. */
  cluster?: boolean;
  onError?: HelperOptions<unknown, unknown>['onError'];
}): EventReporter {
  const dispatch = createDispatch(options.connection, prefixesOf(options), options.onError ?? printError);
  return {
    // A reply with a text is a job of its own: a later "STOP" after a first reply must not be taken for its repeat.
    reportWhatsappEvent: (messageId, event, text) =>
      dispatch.report(
        JobName.WhatsappEvent,
        { message_id: messageId, event, ...(text === undefined ? {} : { text }) },
        `whatsapp-event-${messageId}-${event}${text === undefined ? '' : `-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`}`,
      ),
    close: () => dispatch.close(),
  };
}

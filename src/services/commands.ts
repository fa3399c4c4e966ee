import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventEmitter } from 'node:events';
import { Job, type QueueEvents } from 'bullmq';
import { z } from 'zod';
import {
  acceptCommands,
  failPendingCommand,
  failPendingCommandsBefore,
  findCommand,
  findCommandById,
  findCommandByIdempotencyKey,
  findCommandsByIds,
  insertCommands,
  releaseIdempotencyKey,
  type Command,
  type NewCommand,
} from '../db/repositories/commands.js';
import { findCampaignsByIds, type Campaign } from '../db/repositories/campaigns.js';
import type { Db } from '../db/sql.js';
import { rolloutOfCommand, type Rollout } from '../db/repositories/rollouts.js';
import { countTargetsInState } from '../db/repositories/targets.js';
import { Conflict, InvalidField, NotFound, ServiceUnavailable } from '../domain/errors.js';
import { decideLifecycle, resumeSegments, type LifecycleCommand } from '../domain/lifecycle.js';
import { runProblem } from '../domain/schedule.js';
import { enqueueLifecycleCommands } from '../queues/queues.js';
import { QueueName } from '../queues/names.js';
import { withTimeout } from '../util/timeout.js';
import type { Caller } from './caller.js';
import { createBatcher } from './batcher.js';
import { resultOf, type CommandResult } from './command-results.js';
import type { ServiceDeps } from './deps.js';

export type { Command };

/** A resume command's parameters, kept on its command row. */
const ResumeParams = z.object({ segment: z.enum(resumeSegments) });

export const resumeParamsOf = (command: Command) => ResumeParams.parse(command.params);

/** How long an Idempotency-Key replays its first response. */
const IDEMPOTENCY_WINDOW_MS = 24 * 3600_000;

type Deps = Pick<ServiceDeps, 'db' | 'queues' | 'clock' | 'logger' | 'settings'> & {
  lifecycleEvents: QueueEvents;
  commandWaitMs: number;
  redisCommandTimeoutMs: number;
};

export interface CommandRequest {
  caller: Caller;
  campaignId: string;
  command: LifecycleCommand;
  requestId: string;
  params?: Record<string, unknown>;
  /** The execution contract's optional `agent_id` query parameter: it must name the campaign's agent. */
  agentId?: string | undefined;
  idempotencyKey?: string | undefined;
}

export type SubmittedCommand = { finished: true; command: Command; result: CommandResult } | { finished: false; command: Command };

const sameRequest = (command: Command, request: CommandRequest) =>
  command.campaignId === request.campaignId && command.name === request.command && JSON.stringify(command.params) === JSON.stringify(request.params ?? {});

/** How often a waiter reads the row of a queued command, and of a pending one (decided in milliseconds, normally). */
const POLL_MS = 25;
const DECISION_POLL_MS = 5;

/** What every request for a command whose job was never confirmed queued answers (503). */
const NOT_QUEUED = { ok: false, kind: 'unavailable', detail: 'The command queue (Redis) is unavailable; nothing was changed. Retry shortly.' } as const;

/** The latest read of each command's row in this process, shared by its waiters. */
const rowReads = new WeakMap<Db, Map<string, { startedAt: number; read: Promise<Command | null> }>>();

/** Reads of command rows, grouped per process: a burst of commands waited on costs one statement per poll, not one per command. */
const groupedReads = new WeakMap<Db, (id: string) => Promise<Command | null>>();

function findCommandGrouped(db: Db, id: string): Promise<Command | null> {
  let read = groupedReads.get(db);
  if (!read) {
    read = createBatcher<string, Command | null>(
      async (ids) => {
        const rows = new Map((await findCommandsByIds(db, [...new Set(ids)])).map((command) => [command.id, command]));
        return ids.map((id) => rows.get(id.toLowerCase()) ?? null);
      },
      { maxBatchSize: 1_000, maxInFlight: 4 },
    );
    groupedReads.set(db, read);
  }
  return read(id);
}

/**
 * The command's row, read at or after `notBefore` (a read in flight or just done is shared):
 * hundreds of concurrent requests with one Idempotency-Key cost one read per poll, not hundreds.
 */
function readCommand(db: Db, id: string, notBefore: number): Promise<Command | null> {
  let byId = rowReads.get(db);
  if (!byId) rowReads.set(db, (byId = new Map()));
  const latest = byId.get(id);
  if (latest && latest.startedAt >= notBefore) return latest.read;
  const entry = { startedAt: Date.now(), read: findCommandGrouped(db, id) };
  byId.set(id, entry);
  const forget = () => {
    if (byId.get(id) === entry) byId.delete(id);
  };
  entry.read.then(() => setTimeout(forget, POLL_MS).unref(), forget);
  return entry.read;
}

/**
 * The completion of a job this request is about to queue, listened for before the job exists:
 * no event of it can come earlier, so Redis need not be asked whether it finished already.
 */
interface CompletionWatch {
  finished: Promise<unknown>;
  stop(): void;
}

function watchCompletion(events: QueueEvents, jobId: string): CompletionWatch {
  // BullMQ emits `completed:<job id>` and `failed:<job id>`, which its typed events do not list.
  const emitter = events as unknown as EventEmitter;
  const completed = `completed:${jobId}`;
  const failed = `failed:${jobId}`;
  let stop = () => undefined as void;
  const finished = new Promise<unknown>((resolve, reject) => {
    const onCompleted = (args: { returnvalue: unknown }) => {
      stop();
      resolve(args.returnvalue);
    };
    const onFailed = (args: { failedReason: string }) => {
      stop();
      reject(new Error(args.failedReason));
    };
    emitter.on(completed, onCompleted);
    emitter.on(failed, onFailed);
    stop = () => {
      emitter.removeListener(completed, onCompleted);
      emitter.removeListener(failed, onFailed);
    };
  });
  // Awaited only once the job is queued; a failure before that is the request's own.
  finished.catch(() => undefined);
  return { finished, stop: () => stop() };
}

/**
 * How long a request waits for the completion event of the job it queued before it asks Redis
 * (as for any other command): an event missed while the events' reader reconnects costs this
 * much, not the whole wait.
 */
const WATCH_MS = 1_000;

/** Waits in progress, per QueueEvents and job: concurrent waiters share one set of listeners. */
const waits = new WeakMap<QueueEvents, Map<string, Promise<unknown>>>();

function finishedJob(job: Job, events: QueueEvents, ttlMs: number): Promise<unknown> {
  let byJob = waits.get(events);
  if (!byJob) waits.set(events, (byJob = new Map()));
  const id = job.id!;
  let wait = byJob.get(id);
  if (!wait) {
    wait = job.waitUntilFinished(events, ttlMs).finally(() => byJob.delete(id));
    byJob.set(id, wait);
  }
  return wait;
}

/**
 * The command once it is decided: a `pending` command (recorded, its job not confirmed queued)
 * becomes `queued` when the request that recorded it sees Redis take the job, or `failed` when
 * Redis refuses it or does not answer in time. Anyone else, a replay of its Idempotency-Key or
 * a worker that got its job, waits for that decision by reading the row (never Redis, which may
 * be what is down) for at most REDIS_COMMAND_TIMEOUT_MS + 2 s, then fails it: its request is
 * gone (its process died) or late, and a late request finds its command failed and answers 503
 * too. Each decision is one conditional update, so exactly one wins and every reader sees it.
 */
export async function awaitCommandDecision(deps: Pick<ServiceDeps, 'db' | 'clock' | 'settings'>, id: string): Promise<Command | null> {
  const deadline = Date.now() + deps.settings.commandDecisionMs;
  for (;;) {
    const command = await readCommand(deps.db.sql, id, Date.now() - DECISION_POLL_MS);
    if (command?.status !== 'pending') return command;
    if (Date.now() >= deadline) {
      await failPendingCommand(deps.db.sql, id, NOT_QUEUED, deps.clock());
      return findCommandById(deps.db.sql, id);
    }
    await sleep(Math.min(DECISION_POLL_MS, deadline - Date.now()));
  }
}

/** Fails the commands whose request died before deciding them (no one waits on them any more). */
export async function failAbandonedCommands(deps: Pick<ServiceDeps, 'db' | 'clock'>, before: Date, limit: number): Promise<number> {
  return failPendingCommandsBefore(deps.db.sql, before, NOT_QUEUED, deps.clock(), limit);
}

/** A decided command's answer if it has one: its result once finished, 503 once failed. */
function answerOf(command: Command): SubmittedCommand | null {
  const result = resultOf(command);
  if (result) return { finished: true, command, result };
  if (command.status === 'failed') {
    // Failed by a worker that gave up (it records no answer).
    throw new ServiceUnavailable('postgres', 'The command could not be applied (a backing service failed); nothing was changed. Retry shortly.');
  }
  return null;
}

/**
 * Waits (bounded) for a command to finish. Every request for the command waits the same way,
 * the first one and replays alike, so all of them get one answer: first the decision (above),
 * so nobody answers 202 for a command whose job may never be queued; then, once it is queued,
 * its job's completion (or its row, while Redis does not answer) until `waitMs` has passed, and
 * 202 if it is still running. A command that failed answers 503: nothing was changed. The
 * request that queued the job waits first on the completion it watched since before.
 */
async function awaitCommand(deps: Deps, command: Command, waitMs: number, watch?: CompletionWatch): Promise<SubmittedCommand> {
  // BullMQ reads a TTL of 0 as "wait forever"; here 0 means "do not wait".
  const deadline = Date.now() + waitMs;
  let latest = command.status === 'pending' ? await awaitCommandDecision(deps, command.id) : command;
  if (!latest) throw new NotFound('Command not found.');
  const queue = deps.queues.get(QueueName.Lifecycle);
  for (;;) {
    const answer = answerOf(latest);
    if (answer) return answer;
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { finished: false, command: latest };
    let readAfter = Date.now() - POLL_MS;
    const watched = watch;
    watch = undefined;
    try {
      if (watched) {
        await withTimeout(watched.finished, Math.min(remaining, WATCH_MS), 'the completion event');
        // The worker recorded the result before it completed the job: read after that.
        readAfter = Date.now();
      } else {
        // A suspended Redis never answers: each step is bounded by what is left of the wait.
        const job = await withTimeout(Job.fromId(queue, command.id), remaining, 'Redis');
        if (job) {
          await finishedJob(job, deps.lifecycleEvents, Math.max(1, deadline - Date.now()));
          readAfter = Date.now();
        } else {
          await sleep(Math.min(POLL_MS, remaining));
        }
      }
    } catch (error) {
      // Timed out, Redis unreachable, or the job failed: the command's row says what happened.
      deps.logger.debug({ err: error, command_id: command.id }, 'command not finished while waiting');
      await sleep(Math.max(0, Math.min(POLL_MS, deadline - Date.now())));
    }
    try {
      latest = (await readCommand(deps.db.sql, command.id, readAfter)) ?? latest;
    } catch (error) {
      // The command is queued, so it is accepted and will be applied: a row that cannot be read
      // now (PostgreSQL went away) is no reason to answer 503 "nothing was changed". Its
      // Location tells the result once PostgreSQL answers again.
      deps.logger.warn({ err: error, command_id: command.id }, 'command queued but its row cannot be read: answering 202');
      return { finished: false, command: latest };
    }
  }
}

/** The first request's answer for a repeated Idempotency-Key, or null to go ahead. */
async function replay(deps: Deps, request: CommandRequest, waitMs: number): Promise<SubmittedCommand | null> {
  if (!request.idempotencyKey) return null;
  const previous = await findCommandByIdempotencyKey(deps.db.sql, request.caller.organizationId, request.idempotencyKey);
  if (!previous) return null;
  if (previous.createdAt.getTime() < deps.clock().getTime() - IDEMPOTENCY_WINDOW_MS) {
    await releaseIdempotencyKey(deps.db.sql, previous.id);
    return null;
  }
  if (!sameRequest(previous, request)) {
    throw new Conflict('This Idempotency-Key was already used for a different request in the last 24 hours.');
  }
  if (previous.status === 'failed') {
    // The first request answered 503 ("retry shortly"): a retry with the same key goes ahead.
    await releaseIdempotencyKey(deps.db.sql, previous.id);
    return null;
  }
  deps.logger.info({ command_id: previous.id, idempotency_key: request.idempotencyKey }, 'idempotent replay');
  return awaitCommand(deps, previous, waitMs);
}

/**
 * Tries of a request whose Idempotency-Key another request takes meanwhile: each ends in an
 * answer, unless the request that took the key failed and a third request released it again in
 * between, which only an outage's churn of retries makes happen more than once.
 */
const KEY_RACE_TRIES = 5;

/** A 503: the command's job was not confirmed queued, so nothing was changed. */
const notQueued = (cause?: unknown) => new ServiceUnavailable('redis', NOT_QUEUED.detail, cause === undefined ? undefined : { cause });

/**
 * Records commands (pending) and queues their jobs, for a burst of requests at once: one
 * INSERT, one addBulk, one UPDATE. Each request gets its command, queued; null when its
 * Idempotency-Key was taken meanwhile; or a 503 when Redis refused the jobs or did not answer in
 * time (the commands are failed, and kept, so their Location shows what happened and their keys
 * answer the same to everyone; a job Redis takes late is not applied, as the worker skips a
 * failed command) or when a waiter failed the command first.
 */
async function recordAndQueue(deps: Deps, rows: readonly NewCommand[]): Promise<Array<Command | null | Error>> {
  const inserted = new Map((await insertCommands(deps.db.sql, rows)).map((command) => [command.id, command]));
  const commands = [...inserted.values()];
  if (commands.length === 0) return rows.map(() => null);
  try {
    // A producer must not hang on a half-open connection.
    await withTimeout(
      enqueueLifecycleCommands(
        deps.queues,
        commands.map((command) => ({ command_id: command.id, ...(command.requestId ? { request_id: command.requestId } : {}) })),
      ),
      deps.redisCommandTimeoutMs,
      'Redis',
    );
  } catch (error) {
    deps.logger.debug({ err: error, command_ids: [...inserted.keys()] }, 'could not queue commands');
    // Unless a waiter that gave up on a request failed its command first: failed either way.
    await Promise.all(commands.map((command) => failPendingCommand(deps.db.sql, command.id, NOT_QUEUED, deps.clock())));
    return rows.map((row) => (inserted.has(row.id) ? notQueued(error) : null));
  }
  const accepted = await acceptCommands(
    deps.db.sql,
    commands.map((command) => command.id),
  );
  return rows.map((row) => {
    const command = inserted.get(row.id);
    if (!command) return null;
    // Failed first by a waiter (this request took longer than REDIS_COMMAND_TIMEOUT_MS + 2 s):
    // it answers 503 like everyone else, and the worker skips the job Redis took.
    if (!accepted.has(command.id)) return notQueued();
    deps.logger.info({ command_id: command.id, command: command.name, campaign_id: command.campaignId }, 'command queued');
    return { ...command, status: 'queued' as const };
  });
}

interface Grouped {
  campaign(key: { organizationId: string; id: string }): Promise<Campaign | null>;
  recordAndQueue(row: NewCommand): Promise<Command | null>;
}

/**
 * Records the command (pending), queues it for the lifecycle worker, and waits (bounded) for
 * its result. Concurrent requests read their campaigns, and record and queue their commands,
 * together (`Grouped`).
 */
async function submitCommand(deps: Deps, grouped: Grouped, request: CommandRequest): Promise<SubmittedCommand> {
  const campaign = await grouped.campaign({ organizationId: request.caller.organizationId, id: request.campaignId });
  if (!campaign) throw new NotFound('Campaign not found.');
  if (request.agentId && request.agentId !== campaign.agentId) throw new NotFound('Campaign not found for this agent.');
  const waitMs = (await isLargeResume(deps, request)) ? 0 : deps.commandWaitMs;
  for (let tries = 0; tries < KEY_RACE_TRIES; tries++) {
    const replayed = await replay(deps, request, waitMs);
    if (replayed) return replayed;
    refuseRunPastEnd(campaign, request.command, deps.clock());
    const id = randomUUID();
    const watch = watchCompletion(deps.lifecycleEvents, id);
    try {
      const command = await grouped.recordAndQueue({
        id,
        organizationId: request.caller.organizationId,
        campaignId: campaign.id,
        name: request.command,
        params: request.params ?? {},
        actor: request.caller.actor,
        requestId: request.requestId,
        idempotencyKey: request.idempotencyKey ?? null,
        // The idempotency window is measured on the same clock.
        createdAt: deps.clock(),
      });
      // Null: the same key raced in from another request; the next try answers as it is answered.
      if (command) return await awaitCommand(deps, command, waitMs, watch);
    } finally {
      watch.stop();
    }
  }
  throw new ServiceUnavailable('redis', NOT_QUEUED.detail);
}

/** The API's lifecycle commands, one request at a time for the routes, grouped underneath (group commit). */
export function createCommandSubmitter(deps: Deps, options = { maxBatchSize: 500, maxInFlight: 2 }) {
  const grouped: Grouped = {
    campaign: createBatcher(async (keys: ReadonlyArray<{ organizationId: string; id: string }>) => {
      const found = await findCampaignsByIds(deps.db.sql, [...new Set(keys.map((key) => key.id))]);
      return keys.map(({ organizationId, id }) => {
        const campaign = found.get(id.toLowerCase());
        // Another organization's campaign is not found.
        return campaign?.organizationId === organizationId ? campaign : null;
      });
    }, options),
    recordAndQueue: createBatcher((rows: readonly NewCommand[]) => recordAndQueue(deps, rows), options),
  };
  return (request: CommandRequest) => submitCommand(deps, grouped, request);
}

/**
 * A command that would set the campaign running after its `ends_at` is refused (422) before it
 * is recorded; one that changes nothing (a start of a running campaign) answers as always.
 */
function refuseRunPastEnd(campaign: Campaign, command: LifecycleCommand, now: Date): void {
  const decision = decideLifecycle(campaign.status, command);
  if (decision.kind !== 'transition' || decision.to !== 'running') return;
  const problem = runProblem(campaign, now);
  if (problem) throw new InvalidField(['campaign', 'ends_at'], problem, 'schedule_ended');
}

/** A resume of a segment larger than RESUME_WAIT_LIMIT answers 202 at once (poll for progress). */
async function isLargeResume(deps: Deps, request: CommandRequest): Promise<boolean> {
  if (request.command !== 'resume') return false;
  const { segment } = ResumeParams.parse(request.params);
  return (await countTargetsInState(deps.db.sql, request.caller.organizationId, request.campaignId, segment)) > deps.settings.resumeWaitLimit;
}

/** A command of the organization, with the rollout it recorded (its progress), if any. */
export async function getCommand(deps: Pick<ServiceDeps, 'db'>, organizationId: string, id: string): Promise<{ command: Command; rollout: Rollout | null }> {
  const command = await findCommand(deps.db.sql, organizationId, id);
  if (!command) throw new NotFound('Command not found.');
  return { command, rollout: await rolloutOfCommand(deps.db.sql, command.id) };
}

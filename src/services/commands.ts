import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, type QueueEvents } from 'bullmq';
import { z } from 'zod';
import {
  acceptCommand,
  failPendingCommand,
  failPendingCommandsBefore,
  findCommand,
  findCommandById,
  findCommandByIdempotencyKey,
  insertCommand,
  releaseIdempotencyKey,
  type Command,
} from '../db/repositories/commands.js';
import type { Db } from '../db/sql.js';
import { rolloutOfCommand, type Rollout } from '../db/repositories/rollouts.js';
import { countTargetsInState } from '../db/repositories/targets.js';
import { Conflict, NotFound, ServiceUnavailable } from '../domain/errors.js';
import { resumeSegments, type LifecycleCommand } from '../domain/lifecycle.js';
import { enqueueLifecycleCommand } from '../queues/queues.js';
import { QueueName } from '../queues/names.js';
import { withTimeout } from '../util/timeout.js';
import type { Caller } from './caller.js';
import { getCampaign } from './campaigns.js';
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

/**
 * The command's row, read at or after `notBefore` (a read in flight or just done is shared):
 * hundreds of concurrent requests with one Idempotency-Key cost one read per poll, not hundreds.
 */
function readCommand(db: Db, id: string, notBefore: number): Promise<Command | null> {
  let byId = rowReads.get(db);
  if (!byId) rowReads.set(db, (byId = new Map()));
  const latest = byId.get(id);
  if (latest && latest.startedAt >= notBefore) return latest.read;
  const entry = { startedAt: Date.now(), read: findCommandById(db, id) };
  byId.set(id, entry);
  const forget = () => {
    if (byId.get(id) === entry) byId.delete(id);
  };
  entry.read.then(() => setTimeout(forget, POLL_MS).unref(), forget);
  return entry.read;
}

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
 * 202 if it is still running. A command that failed answers 503: nothing was changed.
 */
async function awaitCommand(deps: Deps, command: Command, waitMs: number): Promise<SubmittedCommand> {
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
    try {
      // A suspended Redis never answers: each step is bounded by what is left of the wait.
      const job = await withTimeout(Job.fromId(queue, command.id), remaining, 'Redis');
      if (job) {
        await finishedJob(job, deps.lifecycleEvents, Math.max(1, deadline - Date.now()));
        // The worker recorded the result before it completed the job: read after that.
        readAfter = Date.now();
      } else {
        await sleep(Math.min(POLL_MS, remaining));
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

/**
 * Records the command (pending), queues it for the lifecycle worker, and waits (bounded) for
 * its result. If Redis refuses the job or does not answer in time, the command is failed (kept,
 * so its Location shows what happened and its Idempotency-Key answers the same to everyone),
 * and a job Redis takes late is not applied (the worker skips a failed command): nothing
 * half-done.
 */
export async function submitCommand(deps: Deps, request: CommandRequest): Promise<SubmittedCommand> {
  const campaign = await getCampaign(deps, request.caller.organizationId, request.campaignId);
  if (request.agentId && request.agentId !== campaign.agentId) throw new NotFound('Campaign not found for this agent.');
  const waitMs = (await isLargeResume(deps, request)) ? 0 : deps.commandWaitMs;
  for (let tries = 0; tries < KEY_RACE_TRIES; tries++) {
    const replayed = await replay(deps, request, waitMs);
    if (replayed) return replayed;
    const command = await insertCommand(deps.db.sql, {
      id: randomUUID(),
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
    if (command) return queueCommand(deps, command, request, waitMs);
  }
  throw new ServiceUnavailable('redis', NOT_QUEUED.detail);
}

async function queueCommand(deps: Deps, command: Command, request: CommandRequest, waitMs: number): Promise<SubmittedCommand> {
  try {
    // A producer must not hang on a half-open connection.
    await withTimeout(enqueueLifecycleCommand(deps.queues, { command_id: command.id, request_id: request.requestId }), deps.redisCommandTimeoutMs, 'Redis');
  } catch (error) {
    deps.logger.debug({ err: error, command_id: command.id }, 'could not queue command');
    // Unless a waiter that gave up on this request failed it first: failed either way.
    await failPendingCommand(deps.db.sql, command.id, NOT_QUEUED, deps.clock());
    throw new ServiceUnavailable('redis', NOT_QUEUED.detail, { cause: error });
  }
  if (!(await acceptCommand(deps.db.sql, command.id))) {
    // Failed first by a waiter (this request took longer than REDIS_COMMAND_TIMEOUT_MS + 2 s):
    // it answers 503 like everyone else, and the worker skips the job Redis took.
    throw new ServiceUnavailable('redis', NOT_QUEUED.detail);
  }
  deps.logger.info({ command_id: command.id, command: request.command, campaign_id: command.campaignId }, 'command queued');
  return awaitCommand(deps, { ...command, status: 'queued' }, waitMs);
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

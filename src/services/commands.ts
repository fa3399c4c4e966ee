import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, type QueueEvents } from 'bullmq';
import { z } from 'zod';
import type { Campaign } from '../db/repositories/campaign-rows.js';
import {
  deleteCommand,
  findCommand,
  findCommandById,
  findCommandByIdempotencyKey,
  insertCommand,
  releaseIdempotencyKey,
  type Command,
} from '../db/repositories/commands.js';
import { rolloutOfCommand, type Rollout } from '../db/repositories/rollouts.js';
import { countTargetsInState } from '../db/repositories/targets.js';
import { Conflict, NotFound, ServiceUnavailable, type ErrorKind } from '../domain/errors.js';
import { resumeSegments, type LifecycleCommand } from '../domain/lifecycle.js';
import { enqueueLifecycleCommand } from '../queues/queues.js';
import { QueueName } from '../queues/names.js';
import { withTimeout } from '../util/timeout.js';
import type { Caller } from './caller.js';
import { getCampaign } from './campaigns.js';
import type { ServiceDeps } from './deps.js';

export type { Command };

/** A resume command's parameters, kept on its command row. */
const ResumeParams = z.object({ segment: z.enum(resumeSegments) });

export const resumeParamsOf = (command: Command) => ResumeParams.parse(command.params);

const ResumeCounts = z.object({
  segment: z.enum(resumeSegments),
  selected: z.int(),
  scheduledCalls: z.int(),
  queuedWhatsapp: z.int(),
  skippedExistingPending: z.int(),
  skippedMissingContact: z.int(),
  skippedDoNotContact: z.int(),
});

/**
 * A finished command's result as stored on its row: the campaign as the command left it (so a
 * replay answers what the first request got) and a resume's counts, or the typed rejection.
 */
const StoredResult = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), campaignId: z.uuid(), campaign: z.record(z.string(), z.unknown()).optional(), resume: ResumeCounts.optional() }),
  z.object({ ok: z.literal(false), kind: z.string(), detail: z.string() }),
]);

export type CommandOutcome = { ok: true; campaign: Campaign; resume?: z.output<typeof ResumeCounts> } | { ok: false; kind: ErrorKind; detail: string };

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

export type SubmittedCommand = { finished: true; command: Command; outcome: CommandOutcome } | { finished: false; command: Command };

const sameRequest = (command: Command, request: CommandRequest) =>
  command.campaignId === request.campaignId && command.name === request.command && JSON.stringify(command.params) === JSON.stringify(request.params ?? {});

/** The outcome a finished command recorded, in the form callers read. */
export function outcomeOf(command: Command): CommandOutcome | null {
  if (!command.result) return null;
  const result = StoredResult.parse(command.result);
  if (!result.ok) return { ok: false, kind: result.kind as ErrorKind, detail: result.detail };
  const campaign = z.object({ createdAt: z.coerce.date(), updatedAt: z.coerce.date() }).loose().parse(result.campaign) as unknown as Campaign;
  return { ok: true, campaign, ...(result.resume ? { resume: result.resume } : {}) };
}

/** Stored on the command row by the lifecycle worker. */
export function storedResultOf(outcome: CommandOutcome): z.input<typeof StoredResult> {
  return outcome.ok
    ? { ok: true, campaignId: outcome.campaign.id, campaign: { ...outcome.campaign }, ...(outcome.resume ? { resume: outcome.resume } : {}) }
    : outcome;
}

/** How often a waiter looks for a command whose job is not queued yet. */
const POLL_MS = 25;

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
 * Waits (bounded) for a command to finish: its job's completion, or its row while the job is
 * not in Redis yet (a replay of an Idempotency-Key can arrive between the first request's insert
 * and its enqueue). Every request for the command waits the same way, the first one and
 * replays alike, so all of them get one answer. A command that failed, or whose job Redis
 * refused (its row is gone), answers 503: nothing was changed.
 */
async function awaitCommand(deps: Deps, command: Command, waitMs: number): Promise<SubmittedCommand> {
  const finished = (latest: Command) => {
    const outcome = outcomeOf(latest);
    return outcome ? ({ finished: true, command: latest, outcome } as const) : null;
  };
  const known = finished(command);
  if (known) return known;
  // BullMQ reads a TTL of 0 as "wait forever"; here 0 means "do not wait".
  const deadline = Date.now() + waitMs;
  try {
    while (waitMs > 0) {
      const job = await Job.fromId(deps.queues.get(QueueName.Lifecycle), command.id);
      if (job) {
        await finishedJob(job, deps.lifecycleEvents, Math.max(1, deadline - Date.now()));
        break;
      }
      const latest = await findCommandById(deps.db.sql, command.id);
      if (!latest || latest.result || latest.status === 'failed' || Date.now() >= deadline) break;
      await sleep(Math.min(POLL_MS, deadline - Date.now()));
    }
  } catch (error) {
    // Timed out, or the job failed: the command row says which.
    deps.logger.debug({ err: error, command_id: command.id }, 'command not finished while waiting');
  }
  const latest = await findCommandById(deps.db.sql, command.id);
  if (!latest || latest.status === 'failed') {
    throw new ServiceUnavailable('postgres', 'The command could not be applied (a backing service failed); nothing was changed. Retry shortly.');
  }
  return finished(latest) ?? { finished: false, command: latest };
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
 * Records the command, queues it for the lifecycle worker and waits (bounded) for its result.
 * If Redis refuses the job the command row is removed again: nothing half-done.
 */
export async function submitCommand(deps: Deps, request: CommandRequest): Promise<SubmittedCommand> {
  const campaign = await getCampaign(deps, request.caller.organizationId, request.campaignId);
  if (request.agentId && request.agentId !== campaign.agentId) throw new NotFound('Campaign not found for this agent.');
  const waitMs = (await isLargeResume(deps, request)) ? 0 : deps.commandWaitMs;
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
  // The same key raced in from another request: answer as it is answered.
  if (!command) return (await replay(deps, request, waitMs))!;
  try {
    // A producer must not hang on a half-open connection.
    await withTimeout(enqueueLifecycleCommand(deps.queues, { command_id: command.id, request_id: request.requestId }), deps.redisCommandTimeoutMs, 'Redis');
  } catch (error) {
    await deleteCommand(deps.db.sql, command.id);
    deps.logger.debug({ err: error, command_id: command.id }, 'could not queue command');
    throw new ServiceUnavailable('redis', 'The command queue (Redis) is unavailable; nothing was changed. Retry shortly.', { cause: error });
  }
  deps.logger.info({ command_id: command.id, command: request.command, campaign_id: campaign.id }, 'command queued');
  return awaitCommand(deps, command, waitMs);
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

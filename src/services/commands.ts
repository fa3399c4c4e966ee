import { setTimeout as sleep } from 'node:timers/promises';
import { Job, type QueueEvents } from 'bullmq';
import { z } from 'zod';
import { Prisma } from '../generated/prisma/client.js';
import type { Db } from '../db/client.js';
import {
  createCommand,
  deleteCommand,
  findCommandById,
  findCommandByIdempotencyKey,
  releaseIdempotencyKey,
  type Command,
  type CommandResult,
} from '../db/repositories/commands.js';
import { Conflict, NotFound, ServiceUnavailable } from '../domain/errors.js';
import { resumeSegments, type LifecycleCommand } from '../domain/lifecycle.js';
import type { Logger } from '../logger.js';
import { withTimeout } from '../util/timeout.js';
import { QueueName } from '../queues/names.js';
import { enqueueLifecycleCommand, type Queues } from '../queues/queues.js';
import type { Caller } from './caller.js';
import { getCampaign } from './campaigns.js';
import type { Clock } from './clock.js';

/** A resume command's parameters, kept on its command row. */
export const ResumeParams = z.object({ segment: z.enum(resumeSegments) });

/** How long an Idempotency-Key replays its first response. */
const IDEMPOTENCY_WINDOW_MS = 24 * 3600_000;

export interface CommandDeps {
  db: Db;
  queues: Queues;
  lifecycleEvents: QueueEvents;
  commandWaitMs: number;
  clock: Clock;
  logger: Logger;
}

export interface CommandRequest {
  caller: Caller;
  campaignId: string;
  command: LifecycleCommand;
  requestId: string;
  params?: Prisma.InputJsonObject;
  /** The contract's optional `agent_id` query parameter: it must name the campaign's agent. */
  agentId?: string | undefined;
  idempotencyKey?: string | undefined;
  /** Answer 202 at once instead of waiting (work known to be large). */
  noWait?: boolean;
}

export type SubmittedCommand = { finished: true; result: CommandResult } | { finished: false; command: Command };

const sameRequest = (command: Command, request: CommandRequest) =>
  command.campaignId === request.campaignId &&
  command.name === request.command &&
  JSON.stringify(command.params) === JSON.stringify(request.params ?? {});

/** The first request's answer for a repeated Idempotency-Key, or null to go ahead. */
async function replay(deps: CommandDeps, request: CommandRequest): Promise<SubmittedCommand | null> {
  if (!request.idempotencyKey) return null;
  const previous = await findCommandByIdempotencyKey(deps.db, request.caller.organizationId, request.idempotencyKey);
  if (!previous) return null;
  if (previous.createdAt.getTime() < deps.clock().getTime() - IDEMPOTENCY_WINDOW_MS) {
    await releaseIdempotencyKey(deps.db, previous.id);
    return null;
  }
  if (!sameRequest(previous, request)) {
    throw new Conflict('This Idempotency-Key was already used for a different request in the last 24 hours.');
  }
  if (previous.status === 'failed') {
    // The first request answered 503 ("retry shortly"): a retry with the same key goes ahead.
    await releaseIdempotencyKey(deps.db, previous.id);
    return null;
  }
  deps.logger.info({ command_id: previous.id, idempotency_key: request.idempotencyKey }, 'idempotent replay');
  if (previous.result) return { finished: true, result: previous.result as CommandResult };
  // Still running: wait for it as the first request does, so both get the same answer.
  return request.noWait ? { finished: false, command: previous } : awaitCommand(deps, previous);
}

/** How often a replay looks for a command whose job is not queued yet. */
const POLL_MS = 25;

/** Waits in progress, per QueueEvents and job: concurrent replays share one set of listeners. */
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
 * Waits up to `commandWaitMs` for a queued command (its job's events, or its row while the job
 * is not in Redis yet) and answers with its result, or 202 while it still runs. A command that
 * failed, or whose job Redis refused (its row is gone), answers 503: nothing was changed.
 */
async function awaitCommand(deps: CommandDeps, command: Command, queued?: Job): Promise<SubmittedCommand> {
  // BullMQ reads a TTL of 0 as "wait forever"; here 0 means "do not wait".
  if (deps.commandWaitMs === 0) return { finished: false, command };
  const deadline = Date.now() + deps.commandWaitMs;
  let job = queued;
  try {
    while (!job && Date.now() < deadline) {
      job = await Job.fromId(deps.queues.get(QueueName.Lifecycle), command.id);
      if (job) break;
      const latest = await findCommandById(deps.db, command.id);
      if (!latest || latest.result || latest.status === 'failed') break;
      await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
    }
    if (job) return { finished: true, result: (await finishedJob(job, deps.lifecycleEvents, Math.max(1, deadline - Date.now()))) as CommandResult };
  } catch (error) {
    // Timed out or failed: the command row says which.
    deps.logger.info({ err: error, command_id: command.id }, 'command not finished while waiting');
  }
  const latest = await findCommandById(deps.db, command.id);
  if (latest?.result) return { finished: true, result: latest.result as CommandResult };
  if (!latest || latest.status === 'failed') {
    throw new ServiceUnavailable('The command could not be applied (a backing service failed); nothing was changed. Retry shortly.');
  }
  deps.logger.info({ command_id: command.id }, 'command still pending; answering 202');
  return { finished: false, command: latest };
}

async function record(deps: CommandDeps, request: CommandRequest, campaignId: string): Promise<Command | SubmittedCommand> {
  try {
    return await createCommand(deps.db, {
      organizationId: request.caller.organizationId,
      campaignId,
      name: request.command,
      params: request.params ?? {},
      actor: request.caller.actor,
      requestId: request.requestId,
      idempotencyKey: request.idempotencyKey ?? null,
      // The idempotency window is measured on the same clock.
      createdAt: deps.clock(),
    });
  } catch (error) {
    // The same key raced in from another request: answer as it does.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      const raced = await replay(deps, request);
      if (raced) return raced;
    }
    throw error;
  }
}

/**
 * Records the command, queues it for the lifecycle worker and waits (bounded) for its result.
 * If Redis refuses the job the command row is removed again: nothing half-done.
 */
export async function submitCommand(deps: CommandDeps, request: CommandRequest): Promise<SubmittedCommand> {
  const campaign = await getCampaign(deps.db, request.caller.organizationId, request.campaignId);
  if (request.agentId && request.agentId.toLowerCase() !== campaign.agentId) {
    throw new NotFound('Campaign not found for this agent.');
  }
  const replayed = await replay(deps, request);
  if (replayed) return replayed;
  const recorded = await record(deps, request, campaign.id);
  if ('finished' in recorded) return recorded;
  const command = recorded;
  let job;
  try {
    // A producer must not hang on a half-open connection.
    job = await withTimeout(enqueueLifecycleCommand(deps.queues, { command_id: command.id, request_id: request.requestId }), 3_000, 'Redis');
  } catch (error) {
    await deleteCommand(deps.db, command.id);
    deps.logger.warn({ err: error, command_id: command.id }, 'could not queue command');
    throw new ServiceUnavailable('The command queue (Redis) is unavailable; nothing was changed. Retry shortly.');
  }
  deps.logger.info({ command_id: command.id, job_id: job.id, command: request.command, campaign_id: campaign.id }, 'command queued');
  if (request.noWait) return { finished: false, command };
  return awaitCommand(deps, command, job);
}

import type { QueueEvents } from 'bullmq';
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
  deps.logger.info({ command_id: previous.id, idempotency_key: request.idempotencyKey }, 'idempotent replay');
  return previous.result ? { finished: true, result: previous.result as CommandResult } : { finished: false, command: previous };
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
  // BullMQ reads a TTL of 0 as "wait forever"; here 0 means "do not wait".
  if (request.noWait || deps.commandWaitMs === 0) return { finished: false, command };
  try {
    const result = (await job.waitUntilFinished(deps.lifecycleEvents, deps.commandWaitMs)) as CommandResult;
    return { finished: true, result };
  } catch (error) {
    // Timed out or failed: the command row says which.
    const latest = await findCommandById(deps.db, command.id);
    if (latest?.result) return { finished: true, result: latest.result as CommandResult };
    if (latest?.status === 'failed') {
      throw new ServiceUnavailable('The command could not be applied (a backing service failed); nothing was changed. Retry shortly.');
    }
    deps.logger.info({ err: error, command_id: command.id }, 'command still pending; answering 202');
    return { finished: false, command: latest ?? command };
  }
}

import type { QueueEvents } from 'bullmq';
import type { Db } from '../db/client.js';
import { createCommand, deleteCommand, findCommandById, type Command, type CommandResult } from '../db/repositories/commands.js';
import { NotFound, ServiceUnavailable } from '../domain/errors.js';
import type { LifecycleCommand } from '../domain/lifecycle.js';
import type { Logger } from '../logger.js';
import { enqueueLifecycleCommand, type Queues } from '../queues/queues.js';
import type { Caller } from '../api/auth.js';
import { getCampaign } from './campaigns.js';

export interface CommandDeps {
  db: Db;
  queues: Queues;
  lifecycleEvents: QueueEvents;
  commandWaitMs: number;
  logger: Logger;
}

export interface CommandRequest {
  caller: Caller;
  campaignId: string;
  command: LifecycleCommand;
  requestId: string;
  /** The contract's optional `agent_id` query parameter: it must name the campaign's agent. */
  agentId?: string | undefined;
}

export type SubmittedCommand = { finished: true; result: CommandResult } | { finished: false; command: Command };

/**
 * Records the command, queues it for the lifecycle worker and waits (bounded) for its result.
 * If Redis refuses the job the command row is removed again: nothing half-done.
 */
export async function submitCommand(deps: CommandDeps, request: CommandRequest): Promise<SubmittedCommand> {
  const campaign = await getCampaign(deps.db, request.caller.organizationId, request.campaignId);
  if (request.agentId && request.agentId.toLowerCase() !== campaign.agentId) {
    throw new NotFound('Campaign not found for this agent.');
  }
  const command = await createCommand(deps.db, {
    organizationId: request.caller.organizationId,
    campaignId: campaign.id,
    name: request.command,
    actor: request.caller.actor,
    requestId: request.requestId,
  });
  let job;
  try {
    job = await enqueueLifecycleCommand(deps.queues, { command_id: command.id, request_id: request.requestId });
  } catch (error) {
    await deleteCommand(deps.db, command.id);
    deps.logger.warn({ err: error, command_id: command.id }, 'could not queue command');
    throw new ServiceUnavailable('The command queue (Redis) is unavailable; nothing was changed. Retry shortly.');
  }
  deps.logger.info({ command_id: command.id, job_id: job.id, command: request.command, campaign_id: campaign.id }, 'command queued');
  // BullMQ reads a TTL of 0 as "wait forever"; here 0 means "do not wait".
  if (deps.commandWaitMs === 0) return { finished: false, command };
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

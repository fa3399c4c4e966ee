import type { FastifyReply } from 'fastify';
import type { Rollout } from '../db/repositories/rollouts.js';
import { resultOf, type CommandResult } from '../services/command-results.js';
import type { Command, SubmittedCommand } from '../services/commands.js';
import { HTTP_STATUS_OF } from './error-handler.js';
import { commandAnswer } from './presenters.js';

/** A finished command as HTTP: the body it produced with 200, or its error as `{detail}`. */
export function httpResult(result: CommandResult): { status_code: number; body: Record<string, unknown> } {
  return result.ok
    ? { status_code: 200, body: commandAnswer(result) }
    : { status_code: HTTP_STATUS_OF[result.kind as keyof typeof HTTP_STATUS_OF] ?? 500, body: { detail: result.detail } };
}

/** A command for polling: its result once finished, and the rounds its rollout has opened so far. */
export function commandView(command: Command, rollout: Rollout | null) {
  const result = resultOf(command);
  return {
    id: command.id,
    command: command.name,
    campaign_id: command.campaignId,
    status: command.status,
    created_at: command.createdAt.toISOString(),
    finished_at: command.finishedAt?.toISOString() ?? null,
    progress: rollout
      ? {
          selected: rollout.selected,
          scheduled_calls: rollout.scheduledCalls,
          queued_whatsapp: rollout.queuedWhatsapp,
          skipped_existing_pending: rollout.skippedExistingPending,
          skipped_missing_contact: rollout.skippedMissingContact,
          finished: rollout.finishedAt !== null,
        }
      : null,
    result: result ? httpResult(result) : null,
  };
}

export function sendSubmitted(reply: FastifyReply, submitted: SubmittedCommand) {
  if (!submitted.finished) {
    const { command } = submitted;
    return reply
      .code(202)
      .header('location', `/commands/${command.id}`)
      .send({
        command_id: command.id,
        status: command.status,
        detail: `The command is accepted and still running; poll GET /commands/${command.id} for its result.`,
      });
  }
  const { status_code, body } = httpResult(submitted.result);
  return reply.code(status_code).send(body);
}

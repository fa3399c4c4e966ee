import type { FastifyReply } from 'fastify';
import type { Command, CommandResult } from '../db/repositories/commands.js';
import type { SubmittedCommand } from '../services/commands.js';
import { HTTP_STATUS_OF } from './error-handler.js';

/** A finished command as HTTP: the body it produced, or its error as `{detail}`. */
export function httpResult(result: CommandResult): { status_code: number; body: Record<string, unknown> } {
  return result.ok
    ? { status_code: 200, body: result.body as Record<string, unknown> }
    : { status_code: HTTP_STATUS_OF[result.kind], body: { detail: result.detail } };
}

export function commandView(command: Command) {
  return {
    id: command.id,
    command: command.name,
    campaign_id: command.campaignId,
    status: command.status,
    created_at: command.createdAt.toISOString(),
    finished_at: command.finishedAt?.toISOString() ?? null,
    progress: (command.progress as Record<string, unknown> | null) ?? null,
    result: command.result ? httpResult(command.result as CommandResult) : null,
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

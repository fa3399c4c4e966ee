import type { Command, CommandName, Prisma } from '../../generated/prisma/client.js';
import type { DomainError } from '../../domain/errors.js';
import type { DbClient } from '../client.js';

export type { Command };

export interface NewCommand {
  organizationId: string;
  campaignId: string;
  name: CommandName;
  params?: Prisma.InputJsonValue;
  actor: string;
  requestId?: string | null;
  idempotencyKey?: string | null;
  createdAt?: Date;
}

export async function createCommand(db: DbClient, command: NewCommand): Promise<Command> {
  return db.command.create({ data: command });
}

export async function deleteCommand(db: DbClient, id: string): Promise<void> {
  await db.command.deleteMany({ where: { id } });
}

export async function findCommand(db: DbClient, organizationId: string, id: string): Promise<Command | null> {
  return db.command.findFirst({ where: { id, organizationId } });
}

export async function findCommandByIdempotencyKey(db: DbClient, organizationId: string, key: string): Promise<Command | null> {
  return db.command.findUnique({ where: { organizationId_idempotencyKey: { organizationId, idempotencyKey: key } } });
}

/** An expired key is freed for reuse; the command itself stays in the history. */
export async function releaseIdempotencyKey(db: DbClient, id: string): Promise<void> {
  await db.command.updateMany({ where: { id }, data: { idempotencyKey: null } });
}

export async function findCommandById(db: DbClient, id: string): Promise<Command | null> {
  return db.command.findUnique({ where: { id } });
}

export async function markCommandRunning(db: DbClient, id: string): Promise<void> {
  await db.command.updateMany({ where: { id, status: 'queued' }, data: { status: 'running' } });
}

/** What a finished command produced: the response body, or the typed error that rejected it. */
export type CommandResult =
  | { ok: true; body: Prisma.InputJsonObject }
  | { ok: false; kind: DomainError['kind']; detail: string };

export async function finishCommand(db: DbClient, id: string, result: CommandResult): Promise<Command> {
  return db.command.update({
    where: { id },
    data: { status: result.ok ? 'succeeded' : 'rejected', result, finishedAt: new Date() },
  });
}


/** The worker gave up on the command (retries exhausted); it changed nothing. */
export async function failCommand(db: DbClient, id: string): Promise<void> {
  await db.command.updateMany({
    where: { id, status: { in: ['queued', 'running'] } },
    data: { status: 'failed', finishedAt: new Date() },
  });
}

export async function writeCommandProgress(db: DbClient, id: string, progress: Prisma.InputJsonObject): Promise<void> {
  await db.command.updateMany({ where: { id }, data: { progress } });
}

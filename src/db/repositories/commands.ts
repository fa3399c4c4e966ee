import type { Command, CommandName } from '../../generated/prisma/client.js';
import { raw, sql, type Db } from '../sql.js';

export type { Command };

const COLUMNS = raw(`id, organization_id AS "organizationId", campaign_id AS "campaignId", name, params, actor,
  request_id AS "requestId", idempotency_key AS "idempotencyKey", status, result,
  created_at AS "createdAt", finished_at AS "finishedAt"`);

export interface NewCommand {
  id: string;
  organizationId: string;
  campaignId: string;
  name: CommandName;
  params: Record<string, unknown>;
  actor: string;
  requestId: string | null;
  idempotencyKey: string | null;
  createdAt: Date;
}

/**
 * Inserts the command, `pending` until its job is confirmed queued; null when its
 * Idempotency-Key is taken (another request holds it).
 */
export async function insertCommand(db: Db, command: NewCommand): Promise<Command | null> {
  const [row] = await db.query<Command>(sql`
    INSERT INTO commands (id, organization_id, campaign_id, name, params, actor, request_id, idempotency_key, status, created_at)
    VALUES (${command.id}::uuid, ${command.organizationId}::uuid, ${command.campaignId}::uuid, ${command.name}::command_name,
            ${JSON.stringify(command.params)}::jsonb, ${command.actor}, ${command.requestId}, ${command.idempotencyKey}, 'pending', ${command.createdAt})
    ON CONFLICT (organization_id, idempotency_key) DO NOTHING
    RETURNING ${COLUMNS}`);
  return row ?? null;
}

/** Redis took the command's job: pending → queued. False when it was decided otherwise first (failed). */
export async function acceptCommand(db: Db, id: string): Promise<boolean> {
  const rows = await db.query(sql`UPDATE commands SET status = 'queued' WHERE id = ${id}::uuid AND status = 'pending' RETURNING id`);
  return rows.length > 0;
}

/**
 * The command's job was never confirmed queued: pending → failed, with the answer every request
 * for it gives. False when it was decided otherwise first (queued, or taken by a worker).
 */
export async function failPendingCommand(db: Db, id: string, result: { ok: false }, now: Date): Promise<boolean> {
  const rows = await db.query(sql`
    UPDATE commands SET status = 'failed', result = ${JSON.stringify(result)}::jsonb, finished_at = ${now}
    WHERE id = ${id}::uuid AND status = 'pending' RETURNING id`);
  return rows.length > 0;
}

/** Fails commands still pending since before `before` (their request died undecided); returns how many. */
export async function failPendingCommandsBefore(db: Db, before: Date, result: { ok: false }, now: Date, limit: number): Promise<number> {
  const rows = await db.query(sql`
    UPDATE commands SET status = 'failed', result = ${JSON.stringify(result)}::jsonb, finished_at = ${now}
    WHERE id IN (SELECT id FROM commands WHERE status = 'pending' AND created_at < ${before} ORDER BY created_at LIMIT ${limit})
      AND status = 'pending'
    RETURNING id`);
  return rows.length;
}

/** The organization's command (another organization's answers null). */
export async function findCommand(db: Db, organizationId: string, id: string): Promise<Command | null> {
  const [row] = await db.query<Command>(sql`SELECT ${COLUMNS} FROM commands WHERE id = ${id}::uuid AND organization_id = ${organizationId}::uuid`);
  return row ?? null;
}

export async function findCommandById(db: Db, id: string): Promise<Command | null> {
  const [row] = await db.query<Command>(sql`SELECT ${COLUMNS} FROM commands WHERE id = ${id}::uuid`);
  return row ?? null;
}

export async function findCommandByIdempotencyKey(db: Db, organizationId: string, key: string): Promise<Command | null> {
  const [row] = await db.query<Command>(sql`
    SELECT ${COLUMNS} FROM commands WHERE organization_id = ${organizationId}::uuid AND idempotency_key = ${key}`);
  return row ?? null;
}

/** An expired key is freed for reuse; the command itself stays in the history. */
export async function releaseIdempotencyKey(db: Db, id: string): Promise<void> {
  await db.query(sql`UPDATE commands SET idempotency_key = NULL WHERE id = ${id}::uuid`);
}

export async function markCommandRunning(db: Db, id: string): Promise<void> {
  await db.query(sql`UPDATE commands SET status = 'running' WHERE id = ${id}::uuid AND status = 'queued'`);
}

/** Records what the command produced (a JSON document the services define); `ok` says succeeded or rejected. */
export async function finishCommand(tx: Db, id: string, result: { ok: boolean }, now: Date): Promise<void> {
  await tx.query(sql`
    UPDATE commands SET status = ${result.ok ? 'succeeded' : 'rejected'}::command_status, result = ${JSON.stringify(result)}::jsonb, finished_at = ${now}
    WHERE id = ${id}::uuid`);
}

/** The worker gave up on the command (a final failure); it changed nothing. */
export async function failCommand(db: Db, id: string, now: Date): Promise<void> {
  await db.query(sql`
    UPDATE commands SET status = 'failed', finished_at = ${now} WHERE id = ${id}::uuid AND status IN ('queued', 'running')`);
}

/** Commands accepted (queued) before `before` that no worker finished: their jobs may be gone from Redis. */
export async function unfinishedCommands(db: Db, before: Date, limit: number): Promise<Array<{ id: string; requestId: string | null }>> {
  return db.query(sql`
    SELECT id, request_id AS "requestId" FROM commands
    WHERE status IN ('queued', 'running') AND created_at < ${before}
    ORDER BY created_at LIMIT ${limit}`);
}

import type { Command, CommandName } from '../../generated/prisma/client.js';
import { raw, sql, timestamps, uuids, type Db } from '../sql.js';

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
 * Inserts the commands, `pending` until their jobs are confirmed queued; a command whose
 * Idempotency-Key is taken (another request holds it) is left out of the rows returned.
 */
export async function insertCommands(db: Db, commands: readonly NewCommand[]): Promise<Command[]> {
  if (commands.length === 0) return [];
  const column = <T>(pick: (command: NewCommand) => T) => commands.map(pick);
  return db.query<Command>(sql`
    INSERT INTO commands (id, organization_id, campaign_id, name, params, actor, request_id, idempotency_key, status, created_at)
    SELECT x.id, x.organization_id, x.campaign_id, x.name::command_name, x.params, x.actor, x.request_id, x.idempotency_key, 'pending', x.created_at
    FROM unnest(${uuids(column((c) => c.id))}, ${column((c) => c.organizationId)}::uuid[], ${column((c) => c.campaignId)}::uuid[],
                ${column((c) => c.name)}::text[], ${column((c) => JSON.stringify(c.params))}::jsonb[], ${column((c) => c.actor)}::text[],
                ${column((c) => c.requestId)}::text[], ${column((c) => c.idempotencyKey)}::text[], ${timestamps(column((c) => c.createdAt))})
      WITH ORDINALITY AS x(id, organization_id, campaign_id, name, params, actor, request_id, idempotency_key, created_at, n)
    ORDER BY x.n
    ON CONFLICT (organization_id, idempotency_key) DO NOTHING
    RETURNING ${COLUMNS}`);
}

/** Redis took the commands' jobs: pending → queued. Returns those accepted; one decided otherwise first (failed) is not. */
export async function acceptCommands(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.query<{ id: string }>(sql`UPDATE commands SET status = 'queued' WHERE id = ANY(${uuids(ids)}) AND status = 'pending' RETURNING id`);
  return new Set(rows.map((row) => row.id));
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

/** The commands of `ids` that exist, in no particular order. */
export async function findCommandsByIds(db: Db, ids: readonly string[]): Promise<Command[]> {
  if (ids.length === 0) return [];
  return db.query<Command>(sql`SELECT ${COLUMNS} FROM commands WHERE id = ANY(${uuids(ids)})`);
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

/**
 * A worker took the commands: queued → running. Rows locked meanwhile (by the transaction that
 * finishes them) are skipped, never waited for: running beside that transaction, this cannot
 * deadlock with it, and a finished command stays finished.
 */
export async function markCommandsRunning(db: Db, ids: readonly string[]): Promise<void> {
  await db.query(sql`
    UPDATE commands SET status = 'running'
    WHERE id IN (SELECT id FROM commands WHERE id = ANY(${uuids(ids)}) AND status = 'queued' FOR UPDATE SKIP LOCKED)`);
}

/** Records what each command produced (a JSON document the services define); `ok` says succeeded or rejected. */
export async function finishCommands(tx: Db, finished: ReadonlyArray<{ id: string; result: { ok: boolean } }>, now: Date): Promise<void> {
  if (finished.length === 0) return;
  await tx.query(sql`
    UPDATE commands c SET status = x.status::command_status, result = x.result, finished_at = ${now}
    FROM unnest(${uuids(finished.map((f) => f.id))}, ${finished.map((f) => (f.result.ok ? 'succeeded' : 'rejected'))}::text[],
                ${finished.map((f) => JSON.stringify(f.result))}::jsonb[]) AS x(id, status, result)
    WHERE c.id = x.id`);
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

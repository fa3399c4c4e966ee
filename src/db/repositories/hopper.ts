import { Prisma } from '../../generated/prisma/client.js';
import type { DbClient } from '../client.js';

export interface DueCall {
  id: string;
  promotion: number;
  scheduled_for: Date;
  attempt: number;
  target_id: string;
  customer_id: string | null;
  phone: string;
  timezone: string | null;
  variables: Record<string, unknown>;
}

export interface DueMessage {
  id: string;
  promotion: number;
  scheduled_for: Date;
  kind: 'first' | 'fallback';
  target_id: string;
  whatsapp: string;
}

/** Running campaigns that have rows waiting to be promoted before `until`. */
export async function campaignsWithDueWork(db: DbClient, until: Date): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT k.id FROM campaigns k
    WHERE k.status = 'running' AND (
      EXISTS (SELECT 1 FROM calls c WHERE c.campaign_id = k.id AND c.status = 'scheduled'
              AND c.promoted_at IS NULL AND c.scheduled_for <= ${until})
      OR EXISTS (SELECT 1 FROM whatsapp_messages m WHERE m.campaign_id = k.id AND m.status = 'queued'
              AND m.promoted_at IS NULL AND m.scheduled_for <= ${until}))`;
  return rows.map((row) => row.id);
}

/** Jobs of the campaign that sit in Redis now: the hopper keeps this number bounded. */
export async function promotedCount(db: DbClient, campaignId: string): Promise<number> {
  const [row] = await db.$queryRaw<{ n: bigint }[]>`
    SELECT (SELECT count(*) FROM calls WHERE campaign_id = ${campaignId}::uuid
              AND status IN ('scheduled', 'dialing') AND promoted_at IS NOT NULL)
         + (SELECT count(*) FROM whatsapp_messages WHERE campaign_id = ${campaignId}::uuid
              AND status = 'queued' AND promoted_at IS NOT NULL) AS n`;
  return Number(row?.n ?? 0);
}

/** Locks (skipping rows another promoter holds) the campaign's earliest unpromoted calls due before `until`. */
export async function lockDueCalls(tx: Prisma.TransactionClient, campaignId: string, until: Date, limit: number): Promise<DueCall[]> {
  return tx.$queryRaw<DueCall[]>`
    SELECT c.id, c.promotion, c.scheduled_for, c.attempt, c.target_id,
           t.customer_id::text AS customer_id, t.phone, t.timezone, t.variables
    FROM calls c JOIN targets t ON t.id = c.target_id
    WHERE c.campaign_id = ${campaignId}::uuid AND c.status = 'scheduled' AND c.promoted_at IS NULL
      AND c.scheduled_for <= ${until}
    ORDER BY c.scheduled_for
    LIMIT ${limit}
    FOR UPDATE OF c SKIP LOCKED`;
}

export async function lockDueMessages(tx: Prisma.TransactionClient, campaignId: string, until: Date, limit: number): Promise<DueMessage[]> {
  return tx.$queryRaw<DueMessage[]>`
    SELECT m.id, m.promotion, m.scheduled_for, m.kind::text AS kind, m.target_id, t.whatsapp
    FROM whatsapp_messages m JOIN targets t ON t.id = m.target_id
    WHERE m.campaign_id = ${campaignId}::uuid AND m.status = 'queued' AND m.promoted_at IS NULL
      AND m.scheduled_for <= ${until}
    ORDER BY m.scheduled_for
    LIMIT ${limit}
    FOR UPDATE OF m SKIP LOCKED`;
}

export interface Promotion {
  id: string;
  dueAt: Date;
}

const ids = (rows: Promotion[]) => rows.map((row) => row.id);
const dues = (rows: Promotion[]) => rows.map((row) => row.dueAt.toISOString());

/** Records promotions (promotion + 1, due time as queued) in one statement per table. */
export async function markPromoted(tx: DbClient, table: 'calls' | 'whatsapp_messages', rows: Promotion[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  const target = Prisma.raw(table);
  await tx.$executeRaw`
    UPDATE ${target} SET promoted_at = ${now}, promotion = promotion + 1, scheduled_for = x.due_at, updated_at = now()
    FROM unnest(${ids(rows)}::text[]::uuid[], ${dues(rows)}::text[]::timestamptz[]) AS x(id, due_at)
    WHERE ${target}.id = x.id`;
}

/** Calls whose due time moved (into the next window) beyond the horizon: they wait as rows. */
export async function rescheduleCalls(tx: DbClient, rows: Promotion[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.$executeRaw`
    UPDATE calls SET scheduled_for = x.due_at, updated_at = now()
    FROM unnest(${ids(rows)}::text[]::uuid[], ${dues(rows)}::text[]::timestamptz[]) AS x(id, due_at)
    WHERE calls.id = x.id`;
}

/** Calls left `dialing` without an outcome since before `before`. */
export async function staleDialingCalls(db: DbClient, before: Date, limit: number): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM calls WHERE status = 'dialing' AND dialing_at < ${before} ORDER BY dialing_at LIMIT ${limit}`;
  return rows.map((row) => row.id);
}

/** Running campaigns in which no target has work left (auto-complete candidates). */
export async function runningCampaignsWithoutWork(db: DbClient): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT k.id FROM campaigns k
    WHERE k.status = 'running'
      AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.campaign_id = k.id AND c.status IN ('scheduled', 'dialing'))
      AND NOT EXISTS (SELECT 1 FROM whatsapp_messages m WHERE m.campaign_id = k.id AND m.status = 'queued')`;
  return rows.map((row) => row.id);
}

import { Prisma, type Call, type Target, type WhatsappMessage } from '../../generated/prisma/client.js';
import type { TargetHistory } from '../../domain/target-state.js';
import type { DbClient } from '../client.js';

export type { Call, WhatsappMessage };

/** A job that sits (or may sit) in Redis for a row: enough to derive its job id. */
export interface PromotedRow {
  id: string;
  promotion: number;
}

/** Locks the target for the rest of the transaction: outcomes of one target apply one at a time. */
export async function lockTarget(tx: Prisma.TransactionClient, targetId: string): Promise<Target | null> {
  await tx.$queryRaw`SELECT id FROM targets WHERE id = ${targetId}::uuid FOR UPDATE`;
  return tx.target.findUnique({ where: { id: targetId } });
}

export type ClaimVerdict = 'proceed' | 'skip' | 'not_yet';

interface ClaimRow {
  status: string;
  promotion: number;
  promoted: boolean;
  running: boolean;
}

/**
 * Reads a dispatch guard row under lock. The lock waits for a promotion still being committed
 * (its job can fire before the commit), so the row read is the latest one.
 */
function verdictOf(row: ClaimRow | undefined, promotion: number, pendingStatuses: string[]): ClaimVerdict {
  if (!row) return 'skip';
  // The job is newer than the row: its promotion rolled back (a crash after addBulk) or is
  // not visible yet. The next hopper pass records it; the job is retried, not dropped.
  if (promotion > row.promotion) return 'not_yet';
  const current = promotion === row.promotion && row.promoted && pendingStatuses.includes(row.status);
  return current && row.running ? 'proceed' : 'skip';
}

/** The dispatch guard for a call: its campaign runs and the job is the row's current promotion. */
export async function claimCall(tx: Prisma.TransactionClient, callId: string, promotion: number, now: Date): Promise<ClaimVerdict> {
  const [row] = await tx.$queryRaw<ClaimRow[]>`
    SELECT c.status::text AS status, c.promotion, c.promoted_at IS NOT NULL AS promoted, k.status = 'running' AS running
    FROM calls c JOIN campaigns k ON k.id = c.campaign_id
    WHERE c.id = ${callId}::uuid
    FOR UPDATE OF c`;
  // A retried job of the same promotion (the dialer crashed) passes again while `dialing`.
  const verdict = verdictOf(row, promotion, ['scheduled', 'dialing']);
  if (verdict === 'proceed' && row?.status === 'scheduled') {
    await tx.call.update({ where: { id: callId }, data: { status: 'dialing', dialingAt: now } });
  }
  return verdict;
}

export async function claimMessage(tx: Prisma.TransactionClient, messageId: string, promotion: number): Promise<ClaimVerdict> {
  const [row] = await tx.$queryRaw<ClaimRow[]>`
    SELECT m.status::text AS status, m.promotion, m.promoted_at IS NOT NULL AS promoted, k.status = 'running' AS running
    FROM whatsapp_messages m JOIN campaigns k ON k.id = m.campaign_id
    WHERE m.id = ${messageId}::uuid
    FOR UPDATE OF m`;
  return verdictOf(row, promotion, ['queued']);
}

const scopeColumn = (of: 'target' | 'campaign') => Prisma.raw(of === 'target' ? 'target_id' : 'campaign_id');

/**
 * Cancels the pending calls and messages of a target (its round ended) or of a campaign
 * (complete); returns those that may have a job in Redis, to withdraw after commit.
 */
export async function cancelPending(tx: DbClient, of: 'target' | 'campaign', id: string, reason: string) {
  const column = scopeColumn(of);
  const calls = await tx.$queryRaw<PromotedRow[]>`
    UPDATE calls SET status = 'canceled', cancel_reason = ${reason}, promoted_at = NULL, updated_at = now()
    WHERE ${column} = ${id}::uuid AND status = 'scheduled'
    RETURNING id, promotion`;
  const messages = await tx.$queryRaw<PromotedRow[]>`
    UPDATE whatsapp_messages SET status = 'canceled', cancel_reason = ${reason}, promoted_at = NULL, updated_at = now()
    WHERE ${column} = ${id}::uuid AND status = 'queued'
    RETURNING id, promotion`;
  return { calls, messages };
}

/** Pause: promoted rows go back to plain pending rows; their jobs are withdrawn after commit. */
export async function unpromoteCampaign(tx: DbClient, campaignId: string) {
  const calls = await tx.$queryRaw<PromotedRow[]>`
    UPDATE calls SET promoted_at = NULL, updated_at = now()
    WHERE campaign_id = ${campaignId}::uuid AND status = 'scheduled' AND promoted_at IS NOT NULL
    RETURNING id, promotion`;
  const messages = await tx.$queryRaw<PromotedRow[]>`
    UPDATE whatsapp_messages SET promoted_at = NULL, updated_at = now()
    WHERE campaign_id = ${campaignId}::uuid AND status = 'queued' AND promoted_at IS NOT NULL
    RETURNING id, promotion`;
  return { calls, messages };
}

/** Whether a target (or, with `of: 'campaign'`, any target of a campaign) still has work left. */
export async function hasPendingWork(db: DbClient, of: 'target' | 'campaign', id: string): Promise<boolean> {
  const column = scopeColumn(of);
  const [row] = await db.$queryRaw<{ pending: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM calls WHERE ${column} = ${id}::uuid AND status IN ('scheduled', 'dialing'))
        OR EXISTS (SELECT 1 FROM whatsapp_messages WHERE ${column} = ${id}::uuid AND status = 'queued') AS pending`;
  return row?.pending === true;
}

/** Everything the goal and the target's state are computed from, in one round trip. */
export async function loadTargetHistory(db: DbClient, targetId: string): Promise<TargetHistory> {
  const [row] = await db.$queryRaw<
    {
      answered: bigint;
      replied: bigint;
      emails: bigint;
      ai: Array<{ label: string; score: number }> | null;
      attempted: boolean;
      last_failed: boolean | null;
    }[]
  >`
    SELECT
      (SELECT count(*) FROM calls WHERE target_id = ${targetId}::uuid AND status = 'answered') AS answered,
      (SELECT count(*) FROM whatsapp_messages WHERE target_id = ${targetId}::uuid AND replied_at IS NOT NULL) AS replied,
      (SELECT count(*) FROM email_events WHERE target_id = ${targetId}::uuid) AS emails,
      (SELECT json_agg(json_build_object('label', label, 'score', score)) FROM ai_evaluations WHERE target_id = ${targetId}::uuid) AS ai,
      (EXISTS (SELECT 1 FROM calls WHERE target_id = ${targetId}::uuid AND ended_at IS NOT NULL)
        OR EXISTS (SELECT 1 FROM whatsapp_messages WHERE target_id = ${targetId}::uuid AND (sent_at IS NOT NULL OR failed_at IS NOT NULL))) AS attempted,
      (SELECT failed FROM (
         SELECT ended_at AS at, status = 'failed' AS failed FROM calls WHERE target_id = ${targetId}::uuid AND ended_at IS NOT NULL
         UNION ALL
         SELECT coalesce(failed_at, sent_at), status = 'failed' FROM whatsapp_messages
         WHERE target_id = ${targetId}::uuid AND (sent_at IS NOT NULL OR failed_at IS NOT NULL)
       ) attempts ORDER BY at DESC LIMIT 1) AS last_failed`;
  return {
    answeredCalls: Number(row?.answered ?? 0),
    repliedMessages: Number(row?.replied ?? 0),
    sentEmails: Number(row?.emails ?? 0),
    aiEvaluations: row?.ai ?? [],
    attempted: row?.attempted ?? false,
    lastAttemptFailed: row?.last_failed ?? false,
  };
}

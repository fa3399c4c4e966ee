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

/** The dispatch guard: the call goes to `dialing` only if its campaign runs and the job is current. */
export async function claimCall(db: DbClient, callId: string, promotion: number, now: Date): Promise<boolean> {
  const claimed = await db.$executeRaw`
    UPDATE calls c SET status = 'dialing', dialing_at = coalesce(c.dialing_at, ${now}), updated_at = now()
    FROM campaigns k
    WHERE c.id = ${callId}::uuid AND k.id = c.campaign_id AND k.status = 'running'
      AND c.promotion = ${promotion} AND c.status IN ('scheduled', 'dialing')`;
  return claimed === 1;
}

export async function claimMessage(db: DbClient, messageId: string, promotion: number): Promise<boolean> {
  const [row] = await db.$queryRaw<{ ok: boolean }[]>`
    SELECT true AS ok FROM whatsapp_messages m JOIN campaigns k ON k.id = m.campaign_id
    WHERE m.id = ${messageId}::uuid AND k.status = 'running' AND m.promotion = ${promotion} AND m.status = 'queued'`;
  return row?.ok === true;
}

/** Cancels the target's pending calls and messages; returns those that may have a job in Redis. */
export async function cancelPendingOfTarget(tx: DbClient, targetId: string, reason: string) {
  const calls = await tx.$queryRaw<PromotedRow[]>`
    UPDATE calls SET status = 'canceled', cancel_reason = ${reason}, promoted_at = NULL, updated_at = now()
    WHERE target_id = ${targetId}::uuid AND status = 'scheduled'
    RETURNING id, promotion`;
  const messages = await tx.$queryRaw<PromotedRow[]>`
    UPDATE whatsapp_messages SET status = 'canceled', cancel_reason = ${reason}, promoted_at = NULL, updated_at = now()
    WHERE target_id = ${targetId}::uuid AND status = 'queued'
    RETURNING id, promotion`;
  return { calls, messages };
}

/** Complete: every pending call and message of the campaign is canceled. */
export async function cancelPendingOfCampaign(tx: DbClient, campaignId: string, reason: string) {
  const calls = await tx.$queryRaw<PromotedRow[]>`
    UPDATE calls SET status = 'canceled', cancel_reason = ${reason}, promoted_at = NULL, updated_at = now()
    WHERE campaign_id = ${campaignId}::uuid AND status = 'scheduled'
    RETURNING id, promotion`;
  const messages = await tx.$queryRaw<PromotedRow[]>`
    UPDATE whatsapp_messages SET status = 'canceled', cancel_reason = ${reason}, promoted_at = NULL, updated_at = now()
    WHERE campaign_id = ${campaignId}::uuid AND status = 'queued'
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
  const column = Prisma.raw(of === 'target' ? 'target_id' : 'campaign_id');
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

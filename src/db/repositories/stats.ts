import type { DbClient } from '../client.js';

const counts = (rows: { key: string; n: bigint }[]) => Object.fromEntries(rows.map((row) => [row.key, Number(row.n)]));

/** Counts per state and status, each one grouped query over the campaign's indexed rows. */
export async function campaignCounts(db: DbClient, campaignId: string) {
  const [targets, calls, messages, pending] = await Promise.all([
    db.$queryRaw<{ key: string; n: bigint }[]>`
      SELECT state::text AS key, count(*) AS n FROM targets WHERE campaign_id = ${campaignId}::uuid GROUP BY state`,
    db.$queryRaw<{ key: string; n: bigint }[]>`
      SELECT status::text AS key, count(*) AS n FROM calls WHERE campaign_id = ${campaignId}::uuid GROUP BY status`,
    db.$queryRaw<{ key: string; n: bigint }[]>`
      SELECT status::text AS key, count(*) AS n FROM whatsapp_messages WHERE campaign_id = ${campaignId}::uuid GROUP BY status`,
    db.$queryRaw<{ n: bigint }[]>`
      SELECT count(DISTINCT target_id) AS n FROM (
        SELECT target_id FROM calls WHERE campaign_id = ${campaignId}::uuid AND status IN ('scheduled', 'dialing')
        UNION ALL
        SELECT target_id FROM whatsapp_messages WHERE campaign_id = ${campaignId}::uuid AND status = 'queued'
      ) pending`,
  ]);
  return {
    targetsByState: counts(targets),
    callsByStatus: counts(calls),
    messagesByStatus: counts(messages),
    targetsWithPendingWork: Number(pending[0]?.n ?? 0),
  };
}

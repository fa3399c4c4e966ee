import { channels } from '../../channels.js';
import { sql, type Db } from '../sql.js';
import { awaitingSql, type Rollout } from './rollouts.js';

const counts = (rows: Array<{ key: string; n: number }>) => Object.fromEntries(rows.map((row) => [row.key, row.n]));

/** Counts per state and status, each one grouped read of an index that starts with the campaign. */
export async function campaignCounts(db: Db, campaignId: string, rollouts: Rollout[]) {
  const [targets, pending, rules, ...byChannel] = await Promise.all([
    db.query<{ key: string; n: number }>(sql`
      SELECT state::text AS key, count(*)::int AS n FROM targets WHERE campaign_id = ${campaignId}::uuid GROUP BY state`),
    db.query<{ holding: number; awaiting: number }>(sql`
      SELECT (SELECT count(*) FROM targets WHERE campaign_id = ${campaignId}::uuid AND has_pending)::int AS holding,
             (SELECT count(*) FROM targets t WHERE t.campaign_id = ${campaignId}::uuid AND NOT t.has_pending AND ${awaitingSql(rollouts)})::int AS awaiting`),
    // Held calls wait unpromoted: the partial index of a campaign's waiting calls holds them.
    db.query<{ held: number; optOuts: number }>(sql`
      SELECT (SELECT count(*) FROM calls
              WHERE campaign_id = ${campaignId}::uuid AND status = 'scheduled' AND promoted_at IS NULL AND hold_reason = 'contact_cap')::int AS held,
             ((SELECT count(*) FROM calls WHERE campaign_id = ${campaignId}::uuid AND opt_out)
              + (SELECT count(*) FROM whatsapp_messages WHERE campaign_id = ${campaignId}::uuid AND opt_out))::int AS "optOuts"`),
    ...channels.map((channel) =>
      db.query<{ key: string; n: number }>(sql`
        SELECT status::text AS key, count(*)::int AS n FROM ${channel.table} WHERE campaign_id = ${campaignId}::uuid GROUP BY status`),
    ),
  ]);
  return {
    targetsByState: counts(targets),
    byChannel: new Map(channels.map((channel, index) => [channel.name, counts(byChannel[index]!)])),
    /** Targets holding a pending call or message, and targets whose round a rollout will still open. */
    targetsWithPendingWork: (pending[0]?.holding ?? 0) + (pending[0]?.awaiting ?? 0),
    /** Waiting calls the dispatch guard gave back because their number reached a contact cap. */
    callsHeldByContactCaps: rules[0]?.held ?? 0,
    /** Opt-outs captured in the campaign: call outcomes with opt_out, WhatsApp replies that were a keyword. */
    optOuts: rules[0]?.optOuts ?? 0,
  };
}

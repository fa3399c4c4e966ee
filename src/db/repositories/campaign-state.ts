import type { CampaignStatus } from '../../generated/prisma/client.js';
import { sql, type Db } from '../sql.js';
import { campaignColumns, type Campaign } from './campaign-rows.js';

/** Reads campaigns without locking them (to decide how to lock them). */
export async function findCampaignsByIds(db: Db, ids: string[]): Promise<Map<string, Campaign>> {
  const rows = await db.query<Campaign>(sql`SELECT ${campaignColumns('k')} FROM campaigns k WHERE k.id = ANY(${ids}::uuid[])`);
  return new Map(rows.map((row) => [row.id, row]));
}

export async function findCampaignById(db: Db, id: string): Promise<Campaign | null> {
  const [row] = await db.query<Campaign>(sql`SELECT ${campaignColumns('k')} FROM campaigns k WHERE k.id = ${id}::uuid`);
  return row ?? null;
}

/** Conditional status change (`WHERE status = from`): false when another command got there first. */
export async function transitionCampaign(tx: Db, id: string, from: CampaignStatus, to: CampaignStatus, now: Date): Promise<boolean> {
  const rows = await tx.query(sql`
    UPDATE campaigns SET status = ${to}::campaign_status, updated_at = ${now}
    WHERE id = ${id}::uuid AND status = ${from}::campaign_status RETURNING id`);
  return rows.length === 1;
}

/** Running campaigns (the hopper's work list). */
export async function runningCampaignIds(db: Db): Promise<string[]> {
  const rows = await db.query<{ id: string }>(sql`SELECT id FROM campaigns WHERE status = 'running' ORDER BY id`);
  return rows.map((row) => row.id);
}

/**
 * Stores a paced campaign's dials of the last minute: `dials` are all of them (those read under
 * the campaign's lock plus the batch's own), not only new ones; dials older than `since` are dropped.
 */
export async function recordDials(tx: Db, campaignId: string, dials: Date[], since: Date): Promise<void> {
  await tx.query(sql`
    UPDATE campaigns
    SET recent_dials = ARRAY(SELECT d FROM unnest(${dials.map((d) => d.toISOString())}::timestamptz[]) d WHERE d > ${since} ORDER BY d)
    WHERE id = ${campaignId}::uuid`);
}

/** The last due time the hopper gave a paced campaign's calls. */
export async function setPacedUntil(tx: Db, campaignId: string, until: Date): Promise<void> {
  await tx.query(sql`UPDATE campaigns SET paced_until = ${until} WHERE id = ${campaignId}::uuid`);
}

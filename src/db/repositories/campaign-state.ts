import type { CampaignStatus } from '../../generated/prisma/client.js';
import { sql, type Db } from '../sql.js';
import { campaignColumns, type Campaign } from './campaign-rows.js';

/**
 * Locks the campaign row for the rest of the transaction. Lifecycle commands take it
 * exclusively (they run one at a time per campaign); the hopper, the dispatch guard and
 * outcome recording take the shared key lock, so a command waits for them and they wait for a
 * command, but they never wait for one another.
 */
export async function lockCampaign(tx: Db, id: string, mode: 'exclusive' | 'shared'): Promise<Campaign | null> {
  const lock = mode === 'exclusive' ? sql`FOR UPDATE` : sql`FOR KEY SHARE`;
  const [row] = await tx.query<Campaign>(sql`SELECT ${campaignColumns('k')} FROM campaigns k WHERE k.id = ${id}::uuid ${lock}`);
  return row ?? null;
}

/** Reads campaigns without locking them (to decide how to lock them). */
export async function findCampaignsByIds(db: Db, ids: string[]): Promise<Map<string, Campaign>> {
  const rows = await db.query<Campaign>(sql`SELECT ${campaignColumns('k')} FROM campaigns k WHERE k.id = ANY(${ids}::uuid[])`);
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * Locks the campaigns of a dispatch batch: those with pacing limits exclusively (their claims
 * go one batch at a time, and the batch records its dials on the row), the others shared. The
 * exclusive locks come first, each group in id order.
 */
export async function lockCampaignsForDispatch(tx: Db, ids: string[], paced: Set<string>): Promise<Map<string, Campaign>> {
  const exclusive = ids.filter((id) => paced.has(id)).sort();
  const rows = exclusive.length
    ? await tx.query<Campaign>(sql`SELECT ${campaignColumns('k')} FROM campaigns k WHERE k.id = ANY(${exclusive}::uuid[]) ORDER BY k.id FOR NO KEY UPDATE`)
    : [];
  const shared = await shareCampaigns(
    tx,
    ids.filter((id) => !paced.has(id)),
  );
  return new Map([...rows.map((row) => [row.id, row] as const), ...shared]);
}

/** Locks several campaigns in id order (no deadlock between batches), shared. */
export async function shareCampaigns(tx: Db, ids: string[]): Promise<Map<string, Campaign>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.query<Campaign>(sql`
    SELECT ${campaignColumns('k')} FROM campaigns k WHERE k.id = ANY(${[...new Set(ids)].sort()}::uuid[])
    ORDER BY k.id FOR KEY SHARE`);
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

/**
 * Takes the lock the dispatch guard takes on a paced campaign (FOR NO KEY UPDATE), for a
 * transaction that already holds the shared one and will write the row.
 */
export async function lockPacedCampaign(tx: Db, campaignId: string): Promise<void> {
  await tx.query(sql`SELECT 1 FROM campaigns WHERE id = ${campaignId}::uuid FOR NO KEY UPDATE`);
}

/** The last due time the hopper gave a paced campaign's calls. */
export async function setPacedUntil(tx: Db, campaignId: string, until: Date): Promise<void> {
  await tx.query(sql`UPDATE campaigns SET paced_until = ${until} WHERE id = ${campaignId}::uuid`);
}

/**
 * One hopper at a time per campaign across processes (its Redis budget is counted, then
 * spent): false when another process promotes this campaign now; released at commit.
 */
export async function tryLockCampaignHopper(tx: Db, campaignId: string): Promise<boolean> {
  const [row] = await tx.query<{ locked: boolean }>(sql`SELECT pg_try_advisory_xact_lock(hashtextextended(${campaignId}, 7)) AS locked`);
  return row?.locked === true;
}

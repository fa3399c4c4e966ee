import { sql, type Db } from '../sql.js';
import { campaignColumns, type Campaign } from './campaigns.js';

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

/**
 * Takes the lock the dispatch guard takes on a paced campaign (FOR NO KEY UPDATE), for a
 * transaction that already holds the shared one and will write the row.
 */
export async function lockPacedCampaign(tx: Db, campaignId: string): Promise<void> {
  await tx.query(sql`SELECT 1 FROM campaigns WHERE id = ${campaignId}::uuid FOR NO KEY UPDATE`);
}

/**
 * One hopper at a time per campaign across processes (its Redis budget is counted, then
 * spent): false when another process promotes this campaign now; released at commit.
 */
export async function tryLockCampaignHopper(tx: Db, campaignId: string): Promise<boolean> {
  const [row] = await tx.query<{ locked: boolean }>(sql`SELECT pg_try_advisory_xact_lock(hashtextextended(${campaignId}, 7)) AS locked`);
  return row?.locked === true;
}

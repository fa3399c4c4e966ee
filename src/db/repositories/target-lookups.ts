import { empty, sql, type Db } from '../sql.js';

/** Each target's campaign. */
export async function targetsCampaigns(db: Db, targetIds: string[]): Promise<Map<string, string>> {
  const rows = await db.query<{ id: string; campaign_id: string }>(sql`SELECT id, campaign_id FROM targets WHERE id = ANY(${targetIds}::uuid[])`);
  return new Map(rows.map((row) => [row.id, row.campaign_id]));
}

/**
 * The organization's targets in state do_not_contact that `value` (a normalized identifier)
 * names, in id order after `after`: walks each campaign's do_not_contact targets by index.
 */
export async function listedTargetsMatching(db: Db, organizationId: string, value: string, after: string | null, limit: number): Promise<string[]> {
  const rows = await db.query<{ id: string }>(sql`
    SELECT t.id FROM campaigns k JOIN targets t ON t.campaign_id = k.id AND t.state = 'do_not_contact'
    WHERE k.organization_id = ${organizationId}::uuid
      AND ${value} IN (t.phone, t.whatsapp, lower(t.email), t.customer_id::text)
      ${after ? sql`AND t.id > ${after}::uuid` : empty}
    ORDER BY t.id LIMIT ${limit}`);
  return rows.map((row) => row.id);
}

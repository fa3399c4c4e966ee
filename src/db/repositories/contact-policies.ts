import type { ContactCap } from '../../domain/contact-caps.js';
import { sql, timestamps, type Db } from '../sql.js';

/** An organization's contact policy as stored; `optOutKeywords` null means the default words. */
export interface StoredContactPolicy {
  maxCallsPerContact: ContactCap[];
  optOutKeywords: string[] | null;
  updatedAt: Date;
}

export async function findContactPolicy(db: Db, organizationId: string): Promise<StoredContactPolicy | null> {
  const [row] = await db.query<StoredContactPolicy>(sql`
    SELECT max_calls_per_contact AS "maxCallsPerContact", opt_out_keywords AS "optOutKeywords", updated_at AS "updatedAt"
    FROM contact_policies WHERE organization_id = ${organizationId}::uuid`);
  return row ?? null;
}

/** Replaces the organization's policy (one row per organization). */
export async function saveContactPolicy(
  db: Db,
  organizationId: string,
  policy: Omit<StoredContactPolicy, 'updatedAt'>,
  now: Date,
): Promise<StoredContactPolicy> {
  const [row] = await db.query<StoredContactPolicy>(sql`
    INSERT INTO contact_policies (organization_id, max_calls_per_contact, opt_out_keywords, updated_at)
    VALUES (${organizationId}::uuid, ${JSON.stringify(policy.maxCallsPerContact)}::jsonb, ${policy.optOutKeywords}::text[], ${now})
    ON CONFLICT (organization_id) DO UPDATE
      SET max_calls_per_contact = excluded.max_calls_per_contact, opt_out_keywords = excluded.opt_out_keywords, updated_at = excluded.updated_at
    RETURNING max_calls_per_contact AS "maxCallsPerContact", opt_out_keywords AS "optOutKeywords", updated_at AS "updatedAt"`);
  return row!;
}

/** The caps of the organizations that have some (absent: none). */
export async function contactCapsOf(db: Db, organizationIds: readonly string[]): Promise<Map<string, ContactCap[]>> {
  if (organizationIds.length === 0) return new Map();
  const rows = await db.query<{ organizationId: string; caps: ContactCap[] }>(sql`
    SELECT organization_id AS "organizationId", max_calls_per_contact AS caps FROM contact_policies
    WHERE organization_id = ANY(${organizationIds}::uuid[]) AND jsonb_array_length(max_calls_per_contact) > 0`);
  return new Map(rows.map((row) => [row.organizationId, row.caps]));
}

/** One number of one organization, as the caps count it. */
export interface ContactKey {
  organizationId: string;
  phone: string;
}

export const contactKeyOf = (key: ContactKey) => `${key.organizationId}:${key.phone}`;

/** The numbers' dials since `since`, by `contactKeyOf`. */
export async function recentContactDials(db: Db, keys: readonly ContactKey[], since: Date): Promise<Map<string, Date[]>> {
  const dials = new Map<string, Date[]>(keys.map((key) => [contactKeyOf(key), []]));
  if (keys.length === 0) return dials;
  const rows = await db.query<ContactKey & { dialedAt: Date }>(sql`
    SELECT d.organization_id AS "organizationId", d.phone, d.dialed_at AS "dialedAt"
    FROM unnest(${keys.map((key) => key.organizationId)}::uuid[], ${keys.map((key) => key.phone)}::text[]) AS k(organization_id, phone)
    JOIN contact_dials d ON d.organization_id = k.organization_id AND d.phone = k.phone AND d.dialed_at > ${since}`);
  for (const row of rows) dials.get(contactKeyOf(row))?.push(row.dialedAt);
  return dials;
}

/** Records calls handed out to be dialed (a call counts once, whatever redelivers it). */
export async function recordContactDials(tx: Db, dials: ReadonlyArray<ContactKey & { callId: string; dialedAt: Date }>): Promise<void> {
  if (dials.length === 0) return;
  await tx.query(sql`
    INSERT INTO contact_dials (call_id, organization_id, phone, dialed_at)
    SELECT * FROM unnest(${dials.map((dial) => dial.callId)}::uuid[], ${dials.map((dial) => dial.organizationId)}::uuid[],
                         ${dials.map((dial) => dial.phone)}::text[], ${timestamps(dials.map((dial) => dial.dialedAt))})
    ON CONFLICT (call_id) DO NOTHING`);
}

/** Forgets dials older than any cap can count; at most `limit` per call. Returns how many. */
export async function forgetContactDials(db: Db, before: Date, limit: number): Promise<number> {
  const rows = await db.query(sql`
    DELETE FROM contact_dials WHERE call_id IN (SELECT call_id FROM contact_dials WHERE dialed_at < ${before} LIMIT ${limit}) RETURNING 1`);
  return rows.length;
}

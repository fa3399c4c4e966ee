import type { DoNotContact, DoNotContactKind } from '../../generated/prisma/client.js';
import { toPage, type Page, type PageRequest } from '../pagination.js';
import { empty, exists, raw, sql, type Db, type Sql } from '../sql.js';

export type { DoNotContact };

const COLUMNS = raw(`id, organization_id AS "organizationId", kind, value, reason, source_campaign_id AS "sourceCampaignId",
  source_target_id AS "sourceTargetId", source_call_id AS "sourceCallId", source_message_id AS "sourceMessageId", created_at AS "createdAt"`);

/**
 * Whether the target (alias `t`) is on its organization's list. Values are normalized, and
 * their forms never collide (numbers start with "+", emails hold "@", customer ids are uuids),
 * so one probe of the (organization, value) index per identifier answers it.
 */
export function listedSql(organizationId: string | Sql): Sql {
  const organization = typeof organizationId === 'string' ? sql`${organizationId}::uuid` : organizationId;
  return exists(sql`SELECT true FROM do_not_contact d WHERE d.organization_id = ${organization}
    AND d.value = ANY (ARRAY[t.phone, t.whatsapp, lower(t.email), t.customer_id::text])`);
}

/** Whether the organization lists anyone: when not, the per-target probes are skipped. */
export async function hasEntries(db: Db, organizationId: string): Promise<boolean> {
  const rows = await db.query(sql`SELECT 1 FROM do_not_contact WHERE organization_id = ${organizationId}::uuid LIMIT 1`);
  return rows.length > 0;
}

export interface NewEntry {
  kind: DoNotContactKind;
  value: string;
}

/** Adds entries; those already listed are returned apart (by value). */
export async function addEntries(db: Db, organizationId: string, entries: NewEntry[], now: Date): Promise<{ added: DoNotContact[]; existing: string[] }> {
  if (entries.length === 0) return { added: [], existing: [] };
  const added = await db.query<DoNotContact>(sql`
    INSERT INTO do_not_contact (id, organization_id, kind, value, created_at)
    SELECT uuid_generate_v7(), ${organizationId}::uuid, e.kind::do_not_contact_kind, e.value, ${now}
    FROM unnest(${entries.map((entry) => entry.kind)}::text[], ${entries.map((entry) => entry.value)}::text[]) AS e(kind, value)
    -- In value order, as opt-outs write theirs: two writers of one value wait in one order.
    ORDER BY e.value COLLATE "C"
    ON CONFLICT (organization_id, value) DO NOTHING
    RETURNING ${COLUMNS}`);
  const addedValues = new Set(added.map((entry) => entry.value));
  // Answered in the order given, whatever order they were written in.
  const position = new Map(entries.map((entry, index) => [entry.value, index]));
  added.sort((a, b) => position.get(a.value)! - position.get(b.value)!);
  return { added, existing: entries.map((entry) => entry.value).filter((value) => !addedValues.has(value)) };
}

export async function listEntries(db: Db, organizationId: string, filter: { value?: string | undefined }, page: PageRequest): Promise<Page<DoNotContact>> {
  const rows = await db.query<DoNotContact>(sql`
    SELECT ${COLUMNS} FROM do_not_contact
    WHERE organization_id = ${organizationId}::uuid
      ${filter.value ? sql`AND value = ${filter.value}` : empty}
      ${page.cursor ? sql`AND id > ${page.cursor}::uuid` : empty}
    ORDER BY id LIMIT ${page.limit + 1}`);
  return toPage(rows, page.limit);
}

export async function deleteEntry(db: Db, organizationId: string, id: string): Promise<DoNotContact | null> {
  const [row] = await db.query<DoNotContact>(sql`
    DELETE FROM do_not_contact WHERE id = ${id}::uuid AND organization_id = ${organizationId}::uuid RETURNING ${COLUMNS}`);
  return row ?? null;
}

import { sql, timestamps, type Db } from '../sql.js';

/** An opt-out heard from a target: the call or the WhatsApp message it came with. */
export interface OptOutSource {
  targetId: string;
  callId?: string | null;
  messageId?: string | null;
}

/** Who opted out: the organization, and the person's identifiers as targets are found by (dedupe keys). */
export interface OptedOut {
  organizationId: string;
  campaignId: string;
  targetId: string;
  callId: string | null;
  messageId: string | null;
  dedupeKeys: string[];
}

/**
 * Stamps the targets (`opted_out_at`, the first time counts) and lists every identifier of each
 * (phone, WhatsApp number, email, customer id) on its organization's do-not-contact list with
 * reason opt_out and its source; values listed already stay as they are. The targets must be
 * locked by the caller. Entries are written in (organization, value) order, as every insert of
 * the list is, so two writers of one value wait for each other in one order.
 */
export async function recordOptOuts(tx: Db, sources: readonly OptOutSource[], now: Date): Promise<OptedOut[]> {
  if (sources.length === 0) return [];
  const people = await tx.query<{
    targetId: string;
    campaignId: string;
    organizationId: string;
    phone: string | null;
    whatsapp: string | null;
    email: string | null;
    customerId: string | null;
    callId: string | null;
    messageId: string | null;
  }>(sql`
    UPDATE targets t SET opted_out_at = coalesce(t.opted_out_at, ${now}), updated_at = ${now}
    FROM unnest(${sources.map((source) => source.targetId)}::uuid[], ${sources.map((source) => source.callId ?? null)}::uuid[],
                ${sources.map((source) => source.messageId ?? null)}::uuid[]) AS o(target_id, call_id, message_id),
         campaigns k
    WHERE t.id = o.target_id AND k.id = t.campaign_id
    RETURNING t.id AS "targetId", t.campaign_id AS "campaignId", k.organization_id AS "organizationId", t.phone, t.whatsapp,
              lower(t.email) AS email, t.customer_id::text AS "customerId", o.call_id AS "callId", o.message_id AS "messageId"`);
  const entries = new Map<string, { kind: string; value: string; person: (typeof people)[number] }>();
  for (const person of people) {
    const values: Array<[string, string | null]> = [
      ['phone', person.phone],
      ['whatsapp', person.whatsapp],
      ['email', person.email],
      ['customer_id', person.customerId],
    ];
    for (const [kind, value] of values) {
      const key = `${person.organizationId} ${value}`;
      if (value !== null && !entries.has(key)) entries.set(key, { kind, value, person });
    }
  }
  // Code-unit order, as the list's other writer sorts (COLLATE "C", src/db/repositories/do-not-contact.ts).
  const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const rows = [...entries.values()].sort((a, b) => byCodeUnits(a.person.organizationId, b.person.organizationId) || byCodeUnits(a.value, b.value));
  if (rows.length > 0) {
    const column = <T>(pick: (row: (typeof rows)[number]) => T) => rows.map(pick);
    await tx.query(sql`
      INSERT INTO do_not_contact (id, organization_id, kind, value, reason, source_campaign_id, source_target_id, source_call_id, source_message_id, created_at)
      SELECT uuid_generate_v7(), e.organization_id, e.kind::do_not_contact_kind, e.value, 'opt_out', e.campaign_id, e.target_id, e.call_id, e.message_id, e.created_at
      FROM unnest(${column((row) => row.person.organizationId)}::uuid[], ${column((row) => row.kind)}::text[], ${column((row) => row.value)}::text[],
                  ${column((row) => row.person.campaignId)}::uuid[], ${column((row) => row.person.targetId)}::uuid[],
                  ${column((row) => row.person.callId)}::uuid[], ${column((row) => row.person.messageId)}::uuid[], ${timestamps(column(() => now))})
        WITH ORDINALITY AS e(organization_id, kind, value, campaign_id, target_id, call_id, message_id, created_at, n)
      ORDER BY e.n
      ON CONFLICT (organization_id, value) DO NOTHING`);
  }
  return people.map((person) => ({
    organizationId: person.organizationId,
    campaignId: person.campaignId,
    targetId: person.targetId,
    callId: person.callId,
    messageId: person.messageId,
    dedupeKeys: [
      ...[person.phone, person.whatsapp].filter((value): value is string => value !== null).map((value) => `phone:${value}`),
      ...(person.customerId === null ? [] : [`customer:${person.customerId}`]),
    ],
  }));
}

/**
 * Targets of the people's organizations' campaigns holding pending work whose dedupe key is one
 * of theirs (the same customer id or phone number): one probe of each campaign's unique index
 * (campaign_id, dedupe_key) per key, for every person in one statement.
 */
export async function pendingTargetsOf(db: Db, people: ReadonlyArray<Pick<OptedOut, 'organizationId' | 'dedupeKeys'>>): Promise<string[]> {
  const pairs = people.flatMap((person) => person.dedupeKeys.map((key) => ({ organizationId: person.organizationId, key })));
  if (pairs.length === 0) return [];
  const rows = await db.query<{ id: string }>(sql`
    SELECT DISTINCT t.id
    FROM unnest(${pairs.map((pair) => pair.organizationId)}::uuid[], ${pairs.map((pair) => pair.key)}::text[]) AS p(organization_id, key)
    JOIN campaigns k ON k.organization_id = p.organization_id
    JOIN targets t ON t.campaign_id = k.id AND t.dedupe_key = p.key
    WHERE t.has_pending
    ORDER BY t.id`);
  return rows.map((row) => row.id);
}

import type { Target } from '../../generated/prisma/client.js';
import { toPage, type Page, type PageRequest } from '../pagination.js';
import { v7 as uuidv7 } from 'uuid';
import { empty, raw, sql, type Db } from '../sql.js';

export type { Target };

export interface NewTarget {
  customerId: string | null;
  name: string | null;
  phone: string | null;
  whatsapp: string | null;
  email: string | null;
  timezone: string | null;
  variables: Record<string, unknown>;
  /** "customer:<uuid>" when customer_id is given, else "phone:<e164>", else null (no uniqueness). */
  dedupeKey: string | null;
}

const COLUMNS = raw(`t.id, t.campaign_id AS "campaignId", t.customer_id AS "customerId", t.name, t.phone, t.whatsapp, t.email,
  t.timezone, t.variables, t.dedupe_key AS "dedupeKey", t.state, t.round, t.last_attempt AS "lastAttempt",
  t.has_pending AS "hasPending", t.idle_since AS "idleSince", t.reached_at AS "reachedAt", t.goal_met_at AS "goalMetAt",
  t.created_at AS "createdAt", t.updated_at AS "updatedAt"`);

/**
 * Inserts targets in one statement, skipping those whose dedupe key the campaign already has
 * (keys must be unique within `targets`). Returns whether each row was inserted. Ids are
 * time-ordered and increase along the batch, so listing by id follows the order of the import.
 */
export async function insertTargets(tx: Db, campaignId: string, targets: NewTarget[], now: Date): Promise<boolean[]> {
  if (targets.length === 0) return [];
  const column = <T>(pick: (target: NewTarget) => T) => targets.map(pick);
  const rows = await tx.query<{ dedupe_key: string | null }>(sql`
    INSERT INTO targets (id, campaign_id, customer_id, name, phone, whatsapp, email, timezone, variables, dedupe_key, created_at, updated_at)
    SELECT x.id, ${campaignId}::uuid, x.customer_id, x.name, x.phone, x.whatsapp, x.email, x.timezone, x.variables, x.dedupe_key, ${now}, ${now}
    FROM unnest(${column(() => uuidv7())}::uuid[], ${column((t) => t.customerId)}::uuid[], ${column((t) => t.name)}::text[], ${column((t) => t.phone)}::text[],
                ${column((t) => t.whatsapp)}::text[], ${column((t) => t.email)}::text[], ${column((t) => t.timezone)}::text[],
                ${column((t) => JSON.stringify(t.variables))}::jsonb[], ${column((t) => t.dedupeKey)}::text[])
      AS x(id, customer_id, name, phone, whatsapp, email, timezone, variables, dedupe_key)
    ON CONFLICT (campaign_id, dedupe_key) DO NOTHING
    RETURNING dedupe_key`);
  const inserted = new Set(rows.map((row) => row.dedupe_key));
  // A row without a key can conflict with nothing: it is always inserted.
  return targets.map((target) => target.dedupeKey === null || inserted.has(target.dedupeKey));
}

export async function listTargets(db: Db, campaignId: string, page: PageRequest): Promise<Page<Target>> {
  const rows = await db.query<Target>(sql`
    SELECT ${COLUMNS} FROM targets t
    WHERE t.campaign_id = ${campaignId}::uuid ${page.cursor ? sql`AND t.id > ${page.cursor}::uuid` : empty}
    ORDER BY t.id LIMIT ${page.limit + 1}`);
  return toPage(rows, page.limit);
}

/** Targets of the organization's campaign in one state (0 for another organization's campaign). */
export async function countTargetsInState(db: Db, organizationId: string, campaignId: string, state: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM targets t JOIN campaigns k ON k.id = t.campaign_id AND k.organization_id = ${organizationId}::uuid
    WHERE t.campaign_id = ${campaignId}::uuid AND t.state = ${state}::target_state`);
  return row?.n ?? 0;
}

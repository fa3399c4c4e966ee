import type { CampaignStatus, Target } from '../../generated/prisma/client.js';
import { toPage, type Page, type PageRequest } from '../pagination.js';
import { v7 as uuidv7 } from 'uuid';
import { declareLock } from '../locks.js';
import { empty, raw, sql, type Db } from '../sql.js';

export type { Target };

/** A target row to insert (valid, normalized); `variables` is already a JSON object. */
export interface NewTarget {
  customerId: string | null;
  name: string | null;
  phone: string | null;
  whatsapp: string | null;
  email: string | null;
  timezone: string | null;
  variables: Record<string, unknown>;
}

const COLUMNS = raw(`t.id, t.campaign_id AS "campaignId", t.customer_id AS "customerId", t.name, t.phone, t.whatsapp, t.email,
  t.timezone, t.variables, t.dedupe_key AS "dedupeKey", t.state, t.round, t.last_attempt AS "lastAttempt",
  t.has_pending AS "hasPending", t.idle_since AS "idleSince", t.reached_at AS "reachedAt", t.goal_met_at AS "goalMetAt", t.opted_out_at AS "optedOutAt",
  t.created_at AS "createdAt", t.updated_at AS "updatedAt"`);

export interface TargetInsert {
  /** The campaign's status when the rows were written, or null when it is not the organization's. */
  status: CampaignStatus | null;
  /** Positions, in the rows given, of those skipped: the campaign has their dedupe key. */
  skipped: number[];
}

/**
 * Inserts targets unless the campaign is running, in one statement however many rows. The
 * statement holds the campaign row in share mode while it inserts, so a concurrent start cannot
 * slip between the status check and the insert (it waits, or this sees it running and inserts
 * nothing); like every lock, in a transaction (src/db/locks.ts). The rows travel as one JSON
 * document that PostgreSQL unpacks (json_to_recordset): far less work per row in Node and the
 * driver than a bind parameter per column. Rows whose dedupe key the campaign already has are skipped. Ids are
 * time-ordered and increase along the batch, so listing by id follows the order of the import.
 */
export async function insertTargetsUnlessRunning(
  db: Db,
  organizationId: string,
  campaignId: string,
  targets: NewTarget[],
  /** Per row: "customer:<uuid>" or "phone:<e164>", unique per campaign; null: no uniqueness. */
  dedupeKeys: Array<string | null>,
  now: Date,
): Promise<TargetInsert> {
  const ids = targets.map(() => uuidv7());
  const document = JSON.stringify(
    targets.map((target, position) => ({
      id: ids[position],
      customer_id: target.customerId,
      name: target.name,
      phone: target.phone,
      whatsapp: target.whatsapp,
      email: target.email,
      timezone: target.timezone,
      variables: target.variables,
      dedupe_key: dedupeKeys[position],
    })),
  );
  // Answers the few skipped ids rather than the many inserted ones.
  const [outcome] = await db.transaction((tx) => {
    declareLock(tx, 'shared campaigns', [campaignId]);
    return tx.query<{ status: CampaignStatus | null; skipped: string[] }>(sql`
    WITH campaign AS (
      SELECT status FROM campaigns WHERE id = ${campaignId}::uuid AND organization_id = ${organizationId}::uuid FOR SHARE
    ), input AS (
      SELECT * FROM json_to_recordset(${document}::json) AS r(
        id uuid, customer_id uuid, name text, phone text, whatsapp text, email text, timezone text, variables jsonb, dedupe_key text)
    ), added AS (
      INSERT INTO targets (id, campaign_id, customer_id, name, phone, whatsapp, email, timezone, variables, dedupe_key, created_at, updated_at)
      SELECT id, ${campaignId}::uuid, customer_id, name, phone, whatsapp, email, timezone, variables, dedupe_key, ${now}, ${now} FROM input
      WHERE (SELECT status FROM campaign) <> 'running'
      ON CONFLICT (campaign_id, dedupe_key) DO NOTHING
      RETURNING id
    )
    SELECT (SELECT status::text FROM campaign) AS status,
           coalesce(array_agg(input.id::text) FILTER (WHERE added.id IS NULL), '{}') AS skipped
    FROM input LEFT JOIN added ON added.id = input.id`);
  });
  const skipped = new Set(outcome?.skipped ?? []);
  const positions: number[] = [];
  if (skipped.size > 0) ids.forEach((id, position) => skipped.has(id) && positions.push(position));
  return { status: outcome?.status ?? null, skipped: positions };
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

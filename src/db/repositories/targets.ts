import { randomFillSync, randomInt } from 'node:crypto';
import type { CampaignStatus, Target, TargetState } from '../../generated/prisma/client.js';
import type { DbClient } from '../client.js';
import { keysetArgs, toPage, type Page, type PageRequest } from '../pagination.js';

export type { Target };

/** A target row to insert; `variables` is already a JSON object. */
export interface NewTarget {
  customerId: string | null;
  name: string | null;
  phone: string | null;
  whatsapp: string | null;
  email: string | null;
  timezone: string | null;
  variables: Record<string, unknown>;
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
const hex = (bytes: Uint8Array, from: number, to: number) => {
  let text = '';
  for (let i = from; i < to; i++) text += HEX[bytes[i]!];
  return text;
};

/**
 * `count` uuid v7 ids that sort in the order given (RFC 9562, method 1: the 12 bits of rand_a
 * and the top 30 of rand_b hold a counter, started at a random value), so keyset pagination
 * lists targets in the order they were sent, like the ids Prisma generates.
 */
export function uuidV7Batch(count: number, now = Date.now()): string[] {
  const random = randomFillSync(new Uint8Array(count * 16));
  const time = now.toString(16).padStart(12, '0');
  const start = randomInt(2 ** 40);
  const ids = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const bytes = random.subarray(i * 16, i * 16 + 16);
    const counter = start + i; // < 2^42
    const randA = Math.floor(counter / 2 ** 30); // 12 bits
    const high = counter % 2 ** 30; // 30 bits
    bytes[6] = 0x70 | ((randA >> 8) & 0x0f);
    bytes[7] = randA & 0xff;
    bytes[8] = 0x80 | ((high >>> 24) & 0x3f);
    bytes[9] = (high >>> 16) & 0xff;
    bytes[10] = (high >>> 8) & 0xff;
    bytes[11] = high & 0xff;
    ids[i] = `${time.slice(0, 8)}-${time.slice(8, 12)}-${hex(bytes, 6, 8)}-${hex(bytes, 8, 10)}-${hex(bytes, 10, 16)}`;
  }
  return ids;
}

export interface TargetInsert {
  /** The campaign's status when the rows were written, or null when it is not the organization's. */
  status: CampaignStatus | null;
  /** Positions, in the rows given, of those skipped: the campaign has their dedupe key. */
  skipped: number[];
}

/**
 * Inserts targets unless the campaign is running, in one statement and one round trip however
 * many rows. The statement holds the campaign row in share mode while it inserts, so a
 * concurrent start cannot slip between the status check and the insert (it waits, or this sees
 * it running and inserts nothing). The rows travel as one JSON document that PostgreSQL
 * unpacks (json_to_recordset): far less work per row in Node and the driver than a bind
 * parameter per column. Rows whose dedupe key the campaign already has are skipped.
 */
export async function insertTargetsUnlessRunning(
  db: DbClient,
  organizationId: string,
  campaignId: string,
  targets: NewTarget[],
  /** Per row: "customer:<uuid>" or "phone:<e164>", unique per campaign; null: no uniqueness. */
  dedupeKeys: Array<string | null>,
): Promise<TargetInsert> {
  const ids = uuidV7Batch(targets.length);
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
  const [outcome] = await db.$queryRaw<Array<{ status: CampaignStatus | null; skipped: string[] }>>`
    WITH campaign AS (
      SELECT status FROM campaigns WHERE id = ${campaignId}::uuid AND organization_id = ${organizationId}::uuid FOR SHARE
    ), input AS (
      SELECT * FROM json_to_recordset(${document}::json) AS r(
        id uuid, customer_id uuid, name text, phone text, whatsapp text, email text, timezone text, variables jsonb, dedupe_key text)
    ), added AS (
      INSERT INTO targets (id, campaign_id, customer_id, name, phone, whatsapp, email, timezone, variables, dedupe_key)
      SELECT id, ${campaignId}::uuid, customer_id, name, phone, whatsapp, email, timezone, variables, dedupe_key FROM input
      WHERE (SELECT status FROM campaign) <> 'running'
      ON CONFLICT (campaign_id, dedupe_key) DO NOTHING
      RETURNING id
    )
    SELECT (SELECT status::text FROM campaign) AS status,
           coalesce(array_agg(input.id::text) FILTER (WHERE added.id IS NULL), '{}') AS skipped
    FROM input LEFT JOIN added ON added.id = input.id`;
  const skipped = new Set(outcome?.skipped ?? []);
  const positions: number[] = [];
  if (skipped.size > 0) ids.forEach((id, position) => skipped.has(id) && positions.push(position));
  return { status: outcome?.status ?? null, skipped: positions };
}

export async function listTargets(db: DbClient, campaignId: string, page: PageRequest): Promise<Page<Target>> {
  const { where, ...args } = keysetArgs(page);
  const rows = await db.target.findMany({ ...args, where: { campaignId, ...where } });
  return toPage(rows, page.limit);
}

/** Targets of the organization's campaign in one state (0 for another organization's campaign). */
export async function countTargetsInState(db: DbClient, organizationId: string, campaignId: string, state: TargetState): Promise<number> {
  return db.target.count({ where: { campaignId, state, campaign: { organizationId } } });
}

import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { Organization } from '../../generated/prisma/client.js';
import { sha256Hex } from '../../util/sha256.js';
import { raw, sql, type Db } from '../sql.js';

const KEY_PREFIX = 'cek_';

const COLUMNS = raw(`o.id, o.name, o.max_concurrent_calls AS "maxConcurrentCalls", o.created_at AS "createdAt"`);

export const hashApiKey = sha256Hex;

/** The organization named `name`, created if none is; concurrent callers get the same row. */
export async function findOrCreateOrganization(db: Db, name: string): Promise<Organization> {
  // The no-op update makes RETURNING answer the existing row too.
  const [row] = await db.query<Organization>(sql`
    INSERT INTO organizations AS o (id, name) VALUES (${uuidv7()}::uuid, ${name})
    ON CONFLICT (name) DO UPDATE SET name = excluded.name
    RETURNING ${COLUMNS}`);
  return row!;
}

/** Creates a key and returns it in clear: the only time it is ever visible. */
export async function createApiKey(db: Db, organizationId: string): Promise<{ id: string; key: string }> {
  const key = `${KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
  const id = uuidv7();
  await db.query(sql`
    INSERT INTO api_keys (id, organization_id, key_hash, key_prefix)
    VALUES (${id}::uuid, ${organizationId}::uuid, ${hashApiKey(key)}, ${key.slice(0, KEY_PREFIX.length + 6)})`);
  return { id, key };
}

/** The organization of the unrevoked key stored under `keyHash` (hashApiKey of the key). */
export async function findOrganizationIdByKeyHash(db: Db, keyHash: string): Promise<string | null> {
  const [row] = await db.query<{ organizationId: string }>(sql`
    SELECT organization_id AS "organizationId" FROM api_keys WHERE key_hash = ${keyHash} AND revoked_at IS NULL`);
  return row?.organizationId ?? null;
}

export async function organizationExists(db: Db, id: string): Promise<boolean> {
  const rows = await db.query(sql`SELECT 1 FROM organizations WHERE id = ${id}::uuid`);
  return rows.length > 0;
}

/** Sets (null: removes) the organization's limit on simultaneous calls; creates it if needed. */
export async function setOrganizationCallLimit(db: Db, name: string, maxConcurrentCalls: number | null): Promise<Organization> {
  const [row] = await db.query<Organization>(sql`
    INSERT INTO organizations AS o (id, name, max_concurrent_calls) VALUES (${uuidv7()}::uuid, ${name}, ${maxConcurrentCalls}::int)
    ON CONFLICT (name) DO UPDATE SET max_concurrent_calls = excluded.max_concurrent_calls
    RETURNING ${COLUMNS}`);
  return row!;
}

import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { sha256Hex } from '../../util/sha256.js';

const KEY_PREFIX = 'cek_';

export const hashApiKey = sha256Hex;

export async function findOrCreateOrganization(db: PrismaClient, name: string) {
  return db.organization.upsert({ where: { name }, create: { name }, update: {} });
}

/** Creates a key and returns it in clear: the only time it is ever visible. */
export async function createApiKey(db: PrismaClient, organizationId: string): Promise<{ id: string; key: string }> {
  const key = `${KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
  const created = await db.apiKey.create({
    data: { organizationId, keyHash: hashApiKey(key), keyPrefix: key.slice(0, KEY_PREFIX.length + 6) },
  });
  return { id: created.id, key };
}

/** The organization of the unrevoked key stored under `keyHash` (hashApiKey of the key). */
export async function findOrganizationIdByKeyHash(db: PrismaClient, keyHash: string): Promise<string | null> {
  const found = await db.apiKey.findUnique({
    where: { keyHash },
    select: { organizationId: true, revokedAt: true },
  });
  return found && !found.revokedAt ? found.organizationId : null;
}

export async function organizationExists(db: PrismaClient, id: string): Promise<boolean> {
  return (await db.organization.count({ where: { id } })) > 0;
}

/** Sets (null: removes) the organization's limit on simultaneous calls; creates it if needed. */
export async function setOrganizationCallLimit(db: PrismaClient, name: string, maxConcurrentCalls: number | null) {
  return db.organization.upsert({ where: { name }, create: { name, maxConcurrentCalls }, update: { maxConcurrentCalls } });
}

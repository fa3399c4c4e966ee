import { LRUCache } from 'lru-cache';
import { findOrganizationIdByKeyHash, hashApiKey, organizationExists } from '../db/repositories/organizations.js';
import type { ServiceDeps } from './deps.js';

/**
 * Credentials seen recently are not looked up again for a short while: dialers report
 * thousands of outcomes a second with one key. A revoked key stops working within the TTL.
 */
const CREDENTIAL_CACHE = { max: 10_000, ttl: 30_000 };

/** The organization an API key acts for, and the key's hash (what the rate limiter counts by). */
export interface KeyOwner {
  organizationId: string;
  keyHash: string;
}

/** Which organization a credential acts for; null when it is unknown or revoked. */
export function createCredentialResolver(deps: Pick<ServiceDeps, 'db'>) {
  const keys = new LRUCache<string, KeyOwner>({
    ...CREDENTIAL_CACHE,
    fetchMethod: async (apiKey) => {
      const keyHash = hashApiKey(apiKey);
      const organizationId = await findOrganizationIdByKeyHash(deps.db.sql, keyHash);
      return organizationId ? { organizationId, keyHash } : undefined;
    },
  });
  const organizations = new LRUCache<string, true>({
    ...CREDENTIAL_CACHE,
    fetchMethod: async (id) => ((await organizationExists(deps.db.sql, id)) ? true : undefined),
  });
  return {
    ownerOfApiKey: async (apiKey: string): Promise<KeyOwner | null> => (await keys.fetch(apiKey)) ?? null,
    organizationExists: async (id: string): Promise<boolean> => (await organizations.fetch(id)) === true,
  };
}

export type CredentialResolver = ReturnType<typeof createCredentialResolver>;

import { LRUCache } from 'lru-cache';
import { findOrganizationIdByApiKey, hashApiKey, organizationExists } from '../db/repositories/organizations.js';
import type { ServiceDeps } from './deps.js';

/**
 * Credentials seen recently are not looked up again for a short while: dialers report
 * thousands of outcomes a second with one key. A revoked key stops working within the TTL.
 */
const CREDENTIAL_CACHE = { max: 10_000, ttl: 30_000 };

/** Which organization a credential acts for; null when it is unknown or revoked. */
export function createCredentialResolver(deps: Pick<ServiceDeps, 'db'>) {
  const keys = new LRUCache<string, string>({
    ...CREDENTIAL_CACHE,
    fetchMethod: async (apiKey) => (await findOrganizationIdByApiKey(deps.db.prisma, apiKey)) ?? undefined,
  });
  const organizations = new LRUCache<string, true>({
    ...CREDENTIAL_CACHE,
    fetchMethod: async (id) => ((await organizationExists(deps.db.prisma, id)) ? true : undefined),
  });
  return {
    organizationOfApiKey: async (apiKey: string): Promise<string | null> => (await keys.fetch(apiKey)) ?? null,
    organizationExists: async (id: string): Promise<boolean> => (await organizations.fetch(id)) === true,
  };
}

export type CredentialResolver = ReturnType<typeof createCredentialResolver>;

/** How keys are stored (a one-way hash); the rate limiter counts per hash, never per key. */
export { hashApiKey };

import { findContactPolicy, saveContactPolicy } from '../db/repositories/contact-policies.js';
import type { ContactCap } from '../domain/contact-caps.js';
import { normalizeKeywords, optOutKeywordsOf } from '../domain/opt-out.js';
import type { ServiceDeps } from './deps.js';

/** An organization's contact policy, defaults filled in; `updatedAt` null: never set. */
export interface ContactPolicy {
  maxCallsPerContact: ContactCap[];
  optOutKeywords: string[];
  updatedAt: Date | null;
}

type Deps = Pick<ServiceDeps, 'db' | 'clock'>;

export async function contactPolicyOf(deps: Pick<ServiceDeps, 'db'>, organizationId: string): Promise<ContactPolicy> {
  const stored = await findContactPolicy(deps.db.sql, organizationId);
  return {
    maxCallsPerContact: stored?.maxCallsPerContact ?? [],
    optOutKeywords: optOutKeywordsOf(stored?.optOutKeywords),
    updatedAt: stored?.updatedAt ?? null,
  };
}

/**
 * Replaces the organization's policy. Caps are kept by increasing hours; keywords trimmed, in
 * upper case, once each (null: the defaults). New caps count the dials recorded since the
 * organization first had caps: dials made while it had none were not recorded.
 */
export async function replaceContactPolicy(
  deps: Deps,
  organizationId: string,
  policy: { maxCallsPerContact: ContactCap[]; optOutKeywords: string[] | null },
): Promise<ContactPolicy> {
  const saved = await saveContactPolicy(
    deps.db.sql,
    organizationId,
    {
      maxCallsPerContact: [...policy.maxCallsPerContact].sort((a, b) => a.hours - b.hours).map(({ hours, max }) => ({ hours, max })),
      optOutKeywords: policy.optOutKeywords === null ? null : normalizeKeywords(policy.optOutKeywords),
    },
    deps.clock(),
  );
  return { maxCallsPerContact: saved.maxCallsPerContact, optOutKeywords: optOutKeywordsOf(saved.optOutKeywords), updatedAt: saved.updatedAt };
}

import { lockTargets, shareCampaigns } from '../db/locks.js';
import { addEntries, deleteEntry, listEntries, type DoNotContact, type NewEntry } from '../db/repositories/do-not-contact.js';
import type { Page, PageRequest } from '../db/pagination.js';
import { pendingTargetsOf, type OptedOut } from '../db/repositories/opt-outs.js';
import { listedTargetsMatching, targetsCampaigns } from '../db/repositories/target-lookups.js';
import { NotFound } from '../domain/errors.js';
import { applyAfterCommit, mergeEffects } from './after-commit.js';
import type { ServiceDeps } from './deps.js';
import { advanceTargets } from './target-progress.js';

type Deps = Pick<ServiceDeps, 'db' | 'queues' | 'clock' | 'logger'>;

/** Targets re-evaluated per transaction when the list changes. */
const BATCH = 500;

/**
 * Adds entries (already normalized) to the organization's list. Work of listed targets is
 * canceled when a round would open for them and again right before any call or message is
 * handed out; nothing is rewritten here, so adding a million numbers stays cheap.
 */
export async function addToList(deps: Deps, organizationId: string, entries: NewEntry[]): Promise<{ added: DoNotContact[]; existing: string[] }> {
  return addEntries(deps.db.sql, organizationId, entries, deps.clock());
}

/** A page of the organization's entries, oldest first; with `value`, only the entry of that value. */
export async function doNotContactOf(
  deps: Deps,
  organizationId: string,
  filter: { value?: string | undefined },
  page: PageRequest,
): Promise<Page<DoNotContact>> {
  return listEntries(deps.db.sql, organizationId, filter, page);
}

/** Removes an entry; targets it kept in `do_not_contact` get the state their history gives. */
export async function removeFromList(deps: Deps, organizationId: string, id: string): Promise<DoNotContact> {
  const removed = await deleteEntry(deps.db.sql, organizationId, id);
  if (!removed) throw new NotFound('Do-not-contact entry not found.');
  for (let after: string | null = null; ;) {
    const ids = await listedTargetsMatching(deps.db.sql, organizationId, removed.value, after, BATCH);
    if (ids.length === 0) break;
    await applyListToTargets(deps, ids);
    after = ids.at(-1)!;
  }
  return removed;
}

/**
 * After the opt-outs of a report transaction committed: each is counted and logged, and the
 * people's pending work in the organization's other campaigns, found by the same customer id or
 * number (their dedupe keys), is canceled now. Pending work of a person under other keys is
 * refused when it comes due (the dispatch guard reads the list) and no round opens for them.
 */
export async function settleOptOuts(deps: Deps & Pick<ServiceDeps, 'metrics'>, optedOut: readonly OptedOut[], source: 'call' | 'whatsapp'): Promise<void> {
  if (optedOut.length === 0) return;
  deps.metrics.optOuts.inc({ source }, optedOut.length);
  for (const person of optedOut) deps.logger.info({ target_id: person.targetId, organization_id: person.organizationId, source }, 'opt-out captured: listed');
  const heardFrom = new Set(optedOut.map((person) => person.targetId));
  const others = (await pendingTargetsOf(deps.db.sql, optedOut)).filter((id) => !heardFrom.has(id));
  for (let start = 0; start < others.length; start += BATCH) await applyListToTargets(deps, others.slice(start, start + BATCH));
}

/**
 * Brings listed (or no longer listed) targets up to date: their waiting work is canceled with
 * reason do_not_contact, their state follows from the list and their history.
 */
export async function applyListToTargets(deps: Deps, targetIds: string[]): Promise<void> {
  const now = deps.clock();
  const owners = await targetsCampaigns(deps.db.sql, targetIds);
  const effects = await deps.db.sql.transaction(async (tx) => {
    const campaigns = await shareCampaigns(tx, [...new Set(owners.values())]);
    const targets = await lockTargets(tx, [...owners.keys()]);
    const changes = [...targets.keys()].map((targetId) => ({ targetId, reachedNow: false }));
    return (await advanceTargets(tx, campaigns, targets, changes, now)).effects;
  });
  await applyAfterCommit(deps, mergeEffects(effects));
}

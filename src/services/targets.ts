import { lockCampaign } from '../db/repositories/campaign-state.js';
import { insertTargets, type NewTarget } from '../db/repositories/targets.js';
import { Conflict, NotFound } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';

export type { NewTarget };

export interface TargetImport {
  inserted: number;
  /** Rows not inserted because the campaign or an earlier row of the batch has their key. */
  duplicates: Array<{ index: number; reason: string }>;
}

/** Unique per campaign by customer_id when given, else by phone (PRODUCT.md, "Target"). */
export function dedupeKey(target: Pick<NewTarget, 'customerId' | 'phone'>): string | null {
  if (target.customerId) return `customer:${target.customerId.toLowerCase()}`;
  if (target.phone) return `phone:${target.phone}`;
  return null;
}

/**
 * Adds valid rows (each with its index in the request) to a campaign: duplicates within the
 * batch and against the campaign are reported, the rest inserted in one statement inside a
 * transaction that holds the campaign row shared, so a concurrent start cannot slip between the
 * status check and the insert.
 */
export async function addTargets(
  deps: Pick<ServiceDeps, 'db' | 'clock'>,
  organizationId: string,
  campaignId: string,
  rows: Array<{ index: number; target: Omit<NewTarget, 'dedupeKey'> }>,
): Promise<TargetImport> {
  const duplicates: TargetImport['duplicates'] = [];
  const candidates: Array<{ index: number; target: NewTarget }> = [];
  const seen = new Set<string>();
  for (const { index, target } of rows) {
    const key = dedupeKey(target);
    if (key && seen.has(key)) {
      duplicates.push({ index, reason: `same ${key.split(':')[0]} as an earlier row of this request` });
      continue;
    }
    if (key) seen.add(key);
    candidates.push({ index, target: { ...target, dedupeKey: key } });
  }
  const inserted = await deps.db.sql.transaction(async (tx) => {
    const campaign = await lockCampaign(tx, campaignId, 'shared');
    if (!campaign || campaign.organizationId !== organizationId) throw new NotFound('Campaign not found.');
    if (campaign.status === 'running') throw new Conflict('Targets cannot be added to a running campaign; pause it first.');
    return insertTargets(tx, campaignId, candidates.map((candidate) => candidate.target), deps.clock());
  });
  candidates.forEach(({ index, target }, position) => {
    if (!inserted[position]) duplicates.push({ index, reason: `the campaign already has a target with this ${target.dedupeKey!.split(':')[0]}` });
  });
  duplicates.sort((a, b) => a.index - b.index);
  return { inserted: inserted.filter(Boolean).length, duplicates };
}

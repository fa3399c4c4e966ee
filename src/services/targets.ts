import { insertTargetsUnlessRunning, type NewTarget } from '../db/repositories/targets.js';
import { Conflict, NotFound } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';

/** A valid target, as the API layer hands it over after validating its row. */
export type TargetData = NewTarget;

/** A target and its row's index in the request, by which the answer names it. */
export interface IndexedTarget {
  index: number;
  target: TargetData;
}

export interface AddedTargets {
  inserted: number;
  duplicates: Array<{ index: number; reason: string }>;
}

/** Unique per campaign by customer_id when given, else by phone (docs/product.md, "Resources"). */
export function dedupeKey(target: Pick<TargetData, 'customerId' | 'phone'>): string | null {
  if (target.customerId) return `customer:${target.customerId.toLowerCase()}`;
  if (target.phone) return `phone:${target.phone}`;
  return null;
}

const keyKind = (key: string) => key.slice(0, key.indexOf(':'));

/**
 * Drops duplicates within the batch and against the campaign, and inserts the rest in one
 * statement that holds the campaign row in share mode, so a concurrent start cannot slip
 * between the status check and the insert: a running campaign takes no targets (409).
 */
export async function addTargets(
  deps: Pick<ServiceDeps, 'db' | 'clock'>,
  organizationId: string,
  campaignId: string,
  rows: IndexedTarget[],
): Promise<AddedTargets> {
  const duplicates: AddedTargets['duplicates'] = [];
  // Parallel arrays rather than a copy of every row: imports are large.
  const indexes: number[] = [];
  const targets: TargetData[] = [];
  const keys: Array<string | null> = [];
  const seen = new Set<string>();
  for (const { index, target } of rows) {
    const key = dedupeKey(target);
    if (key && seen.has(key)) {
      duplicates.push({ index, reason: `same ${keyKind(key)} as an earlier row of this request` });
      continue;
    }
    if (key) seen.add(key);
    indexes.push(index);
    targets.push(target);
    keys.push(key);
  }

  const { status, skipped } = await insertTargetsUnlessRunning(deps.db.sql, organizationId, campaignId, targets, keys, deps.clock());
  if (status === null) throw new NotFound('Campaign not found.');
  if (status === 'running') throw new Conflict('Targets cannot be added to a running campaign; pause it first.');

  for (const position of skipped) {
    duplicates.push({ index: indexes[position]!, reason: `the campaign already has a target with this ${keyKind(keys[position] ?? 'key:')}` });
  }
  duplicates.sort((a, b) => a.index - b.index);
  return { inserted: targets.length - skipped.length, duplicates };
}

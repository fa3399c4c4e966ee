import type { Prisma } from '../generated/prisma/client.js';
import type { Db } from '../db/client.js';
import { insertTargets, type NewTarget } from '../db/repositories/targets.js';
import { Conflict, NotFound } from '../domain/errors.js';
import { TargetIn, type TargetBatchResult } from '../api/schemas/target.js';
import { PARSE_OPTIONS, validationItems } from '../api/validation.js';

/** Unique per campaign by customer_id when given, else by phone (PRODUCT.md, "Target"). */
export function dedupeKey(target: Pick<TargetIn, 'customer_id' | 'phone'>): string | null {
  if (target.customer_id) return `customer:${target.customer_id.toLowerCase()}`;
  if (target.phone) return `phone:${target.phone}`;
  return null;
}

function toRow(target: TargetIn): NewTarget {
  return {
    customerId: target.customer_id ?? null,
    name: target.name ?? null,
    phone: target.phone ?? null,
    whatsapp: target.whatsapp ?? null,
    email: target.email ?? null,
    timezone: target.timezone ?? null,
    variables: target.variables as Prisma.InputJsonObject,
    dedupeKey: dedupeKey(target),
  };
}

/**
 * Validates each row on its own (valid rows are kept), drops duplicates within the batch and
 * against the campaign, and inserts the rest in one transaction that holds the campaign row
 * in share mode, so a concurrent start cannot slip between the status check and the insert.
 */
export async function addTargets(db: Db, organizationId: string, campaignId: string, rows: unknown[]): Promise<TargetBatchResult> {
  const invalid: TargetBatchResult['invalid'] = [];
  const duplicates: TargetBatchResult['duplicates'] = [];
  const candidates: { index: number; row: NewTarget }[] = [];
  const seen = new Set<string>();
  rows.forEach((raw, index) => {
    const parsed = TargetIn.safeParse(raw, PARSE_OPTIONS);
    if (!parsed.success) {
      invalid.push({ index, errors: validationItems(parsed.error.issues, []) });
      return;
    }
    const row = toRow(parsed.data);
    if (row.dedupeKey && seen.has(row.dedupeKey)) {
      duplicates.push({ index, reason: `same ${row.dedupeKey.split(':')[0]} as an earlier row of this request` });
      return;
    }
    if (row.dedupeKey) seen.add(row.dedupeKey);
    candidates.push({ index, row });
  });

  const insertedKeys = await db.$transaction(
    async (tx) => {
      const [campaign] = await tx.$queryRaw<{ status: string }[]>`
        SELECT status FROM campaigns WHERE id = ${campaignId}::uuid AND organization_id = ${organizationId}::uuid FOR SHARE`;
      if (!campaign) throw new NotFound('Campaign not found.');
      if (campaign.status === 'running') {
        throw new Conflict('Targets cannot be added to a running campaign; pause it first.');
      }
      const inserted = await insertTargets(tx, campaignId, candidates.map((candidate) => candidate.row));
      return new Set(inserted.map((target) => target.dedupeKey ?? target.id));
    },
    { timeout: 60_000 },
  );

  for (const { index, row } of candidates) {
    if (row.dedupeKey && !insertedKeys.has(row.dedupeKey)) {
      duplicates.push({ index, reason: `the campaign already has a target with this ${row.dedupeKey.split(':')[0]}` });
    }
  }
  duplicates.sort((a, b) => a.index - b.index);
  return { inserted: insertedKeys.size, duplicates, invalid };
}

import type { Prisma, Target, TargetState } from '../../generated/prisma/client.js';
import type { DbClient } from '../client.js';
import { keysetArgs, toPage, type Page, type PageRequest } from '../pagination.js';

export type { Target };
export type NewTarget = Omit<Prisma.TargetCreateManyInput, 'campaignId'>;

// PostgreSQL takes at most 65,535 bind parameters per statement; a target row binds about a dozen.
const INSERT_CHUNK = 2_000;

/**
 * Inserts targets, skipping those whose dedupe key the campaign already has.
 * Returns the dedupe keys (or ids, for keyless rows) that were inserted.
 */
export async function insertTargets(db: DbClient, campaignId: string, targets: NewTarget[]): Promise<Target[]> {
  const inserted: Target[] = [];
  for (let offset = 0; offset < targets.length; offset += INSERT_CHUNK) {
    const chunk = targets.slice(offset, offset + INSERT_CHUNK).map((target) => ({ ...target, campaignId }));
    inserted.push(...(await db.target.createManyAndReturn({ data: chunk, skipDuplicates: true })));
  }
  return inserted;
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

import type { Campaign, CampaignStatus, Prisma } from '../../generated/prisma/client.js';
import type { DbClient } from '../client.js';
import { keysetArgs, toPage, type Page, type PageRequest } from '../pagination.js';

export type { Campaign };

export async function createCampaign(
  db: DbClient,
  organizationId: string,
  data: Omit<Prisma.CampaignUncheckedCreateInput, 'organizationId'>,
): Promise<Campaign> {
  return db.campaign.create({ data: { ...data, organizationId } });
}

export async function findCampaign(db: DbClient, organizationId: string, id: string): Promise<Campaign | null> {
  return db.campaign.findFirst({ where: { id, organizationId } });
}

export async function listCampaigns(db: DbClient, organizationId: string, page: PageRequest): Promise<Page<Campaign>> {
  const { where, ...args } = keysetArgs(page);
  const rows = await db.campaign.findMany({ ...args, where: { organizationId, ...where } });
  return toPage(rows, page.limit);
}

/** Applies the update only while the campaign is still in one of `allowed`; false otherwise. */
export async function updateCampaignIfStatus(
  db: DbClient,
  id: string,
  allowed: CampaignStatus[],
  data: Prisma.CampaignUncheckedUpdateManyInput,
): Promise<boolean> {
  const { count } = await db.campaign.updateMany({ where: { id, status: { in: allowed } }, data });
  return count === 1;
}

/** Locks the campaign row for the rest of the transaction; serialises lifecycle commands. */
export async function lockCampaign(tx: Prisma.TransactionClient, id: string): Promise<Campaign | null> {
  const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM campaigns WHERE id = ${id}::uuid FOR UPDATE`;
  if (locked.length === 0) return null;
  return tx.campaign.findUnique({ where: { id } });
}

/** Conditional status change (`WHERE status = from`): false when another command got there first. */
export async function transitionCampaign(
  tx: Prisma.TransactionClient,
  id: string,
  from: CampaignStatus,
  to: CampaignStatus,
): Promise<boolean> {
  const { count } = await tx.campaign.updateMany({ where: { id, status: from }, data: { status: to } });
  return count === 1;
}

export async function findCampaignById(db: DbClient, id: string): Promise<Campaign | null> {
  return db.campaign.findUnique({ where: { id } });
}

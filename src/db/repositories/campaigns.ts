import { Prisma, type Campaign, type CampaignStatus, type PrismaClient } from '../../generated/prisma/client.js';
import type { GoalSpec } from '../../domain/goal.js';
import { keysetArgs, toPage, type Page, type PageRequest } from '../pagination.js';

export type { Campaign };

/** Campaign CRUD: single statements through the ORM, outside transactions. */
export type CampaignWrite = Omit<
  Prisma.CampaignUncheckedCreateInput,
  'organizationId' | 'id' | 'status' | 'createdAt' | 'updatedAt' | 'recentDials' | 'pacedUntil' | 'goalSpec'
> & { goalSpec?: GoalSpec | null };

/** A JSON column is cleared with the ORM's DbNull, not with `null`. */
function columns<W extends Partial<CampaignWrite>>({ goalSpec, ...rest }: W) {
  return goalSpec === undefined ? rest : { ...rest, goalSpec: goalSpec === null ? Prisma.DbNull : (goalSpec as Prisma.InputJsonObject) };
}

export async function createCampaign(prisma: PrismaClient, organizationId: string, data: CampaignWrite, now: Date): Promise<Campaign> {
  return prisma.campaign.create({ data: { ...columns(data), organizationId, createdAt: now, updatedAt: now } });
}

export async function findCampaign(prisma: PrismaClient, organizationId: string, id: string): Promise<Campaign | null> {
  return prisma.campaign.findFirst({ where: { id, organizationId } });
}

export async function listCampaigns(prisma: PrismaClient, organizationId: string, page: PageRequest): Promise<Page<Campaign>> {
  const { where, ...args } = keysetArgs(page);
  const rows = await prisma.campaign.findMany({ ...args, where: { organizationId, ...where } });
  return toPage(rows, page.limit);
}

/** Applies the update only while the campaign is still in one of `allowed`; false otherwise. */
export async function updateCampaignIfStatus(
  prisma: PrismaClient,
  id: string,
  allowed: CampaignStatus[],
  data: Partial<CampaignWrite>,
  now: Date,
): Promise<boolean> {
  const { count } = await prisma.campaign.updateMany({ where: { id, status: { in: allowed } }, data: { ...columns(data), updatedAt: now } });
  return count === 1;
}

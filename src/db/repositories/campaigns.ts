import type { Campaign, CampaignStatus, Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { keysetArgs, toPage, type Page, type PageRequest } from '../pagination.js';

export type { Campaign };

/** Campaign CRUD: single statements through the ORM, outside transactions. */
export type CampaignWrite = Omit<
  Prisma.CampaignUncheckedCreateInput,
  'organizationId' | 'id' | 'status' | 'createdAt' | 'updatedAt' | 'recentDials' | 'pacedUntil'
>;

export async function createCampaign(prisma: PrismaClient, organizationId: string, data: CampaignWrite, now: Date): Promise<Campaign> {
  return prisma.campaign.create({ data: { ...data, organizationId, createdAt: now, updatedAt: now } });
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
  const { count } = await prisma.campaign.updateMany({ where: { id, status: { in: allowed } }, data: { ...data, updatedAt: now } });
  return count === 1;
}

import type { CampaignEvent, CampaignStatus } from '../../generated/prisma/client.js';
import type { DbClient } from '../client.js';
import { keysetArgs, toPage, type Page, type PageRequest } from '../pagination.js';

export type { CampaignEvent };

export interface NewCampaignEvent {
  campaignId: string;
  command: string;
  fromStatus: CampaignStatus;
  toStatus: CampaignStatus;
  actor: string;
  requestId?: string | null;
  commandId?: string | null;
}

export async function appendCampaignEvent(db: DbClient, event: NewCampaignEvent): Promise<CampaignEvent> {
  return db.campaignEvent.create({ data: event });
}

export async function listCampaignEvents(db: DbClient, campaignId: string, page: PageRequest): Promise<Page<CampaignEvent>> {
  const { where, ...args } = keysetArgs(page);
  const rows = await db.campaignEvent.findMany({ ...args, where: { campaignId, ...where } });
  return toPage(rows, page.limit);
}

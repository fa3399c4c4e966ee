import type { Call, CallFilter } from '../db/repositories/calls.js';
import { listCalls } from '../db/repositories/calls.js';
import { listCampaignEvents, type CampaignEvent } from '../db/repositories/campaign-events.js';
import { listCampaigns, type Campaign } from '../db/repositories/campaigns.js';
import type { Page, PageRequest } from '../db/pagination.js';
import { listTargets, type Target } from '../db/repositories/targets.js';
import { getCampaign } from './campaigns.js';
import type { ServiceDeps } from './deps.js';

/** Paged reads of the organization's campaigns and what belongs to them (404 for another organization's). */
type Deps = Pick<ServiceDeps, 'db'>;

export const campaignsOf = (deps: Deps, organizationId: string, page: PageRequest): Promise<Page<Campaign>> => listCampaigns(deps.db.sql, organizationId, page);

export async function targetsOf(deps: Deps, organizationId: string, campaignId: string, page: PageRequest): Promise<Page<Target>> {
  const campaign = await getCampaign(deps, organizationId, campaignId);
  return listTargets(deps.db.sql, campaign.id, page);
}

export async function callsOf(deps: Deps, organizationId: string, campaignId: string, filter: CallFilter, page: PageRequest): Promise<Page<Call>> {
  const campaign = await getCampaign(deps, organizationId, campaignId);
  return listCalls(deps.db.sql, campaign.id, filter, page);
}

export async function eventsOf(deps: Deps, organizationId: string, campaignId: string, page: PageRequest): Promise<Page<CampaignEvent>> {
  const campaign = await getCampaign(deps, organizationId, campaignId);
  return listCampaignEvents(deps.db.sql, campaign.id, page);
}

import { activeRollouts } from '../db/repositories/rollouts.js';
import { campaignCounts } from '../db/repositories/stats.js';
import type { Campaign } from '../db/repositories/campaigns.js';
import type { ServiceDeps } from './deps.js';

export interface CampaignStats {
  targetsByState: Record<string, number>;
  total: number;
  callsByStatus: Record<string, number>;
  messagesByStatus: Record<string, number>;
  targetsWithPendingWork: number;
  callsHeldByContactCaps: number;
  optOuts: number;
  /** Share of targets with no work left, 0 to 1; nothing has started on a draft. */
  progress: number;
}

/** Targets by state, calls and messages by status, and how far the campaign has come. */
export async function campaignStats(deps: Pick<ServiceDeps, 'db'>, campaign: Campaign): Promise<CampaignStats> {
  const counts = await campaignCounts(deps.db.sql, campaign.id, await activeRollouts(deps.db.sql, campaign.id));
  const total = Object.values(counts.targetsByState).reduce((sum, n) => sum + n, 0);
  return {
    targetsByState: counts.targetsByState,
    total,
    callsByStatus: counts.byChannel.get('call') ?? {},
    messagesByStatus: counts.byChannel.get('whatsapp') ?? {},
    targetsWithPendingWork: counts.targetsWithPendingWork,
    callsHeldByContactCaps: counts.callsHeldByContactCaps,
    optOuts: counts.optOuts,
    progress: campaign.status === 'draft' || total === 0 ? 0 : (total - counts.targetsWithPendingWork) / total,
  };
}

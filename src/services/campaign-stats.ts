import type { Campaign } from '../generated/prisma/client.js';
import type { Db } from '../db/client.js';
import { campaignCounts } from '../db/repositories/stats.js';

/** Targets by state, calls and messages by status, and how far the campaign has come. */
export async function campaignStats(db: Db, campaign: Campaign) {
  const counts = await campaignCounts(db, campaign.id);
  const total = Object.values(counts.targetsByState).reduce((sum, n) => sum + n, 0);
  return {
    targets: {
      total,
      by_state: counts.targetsByState,
      goal_met: counts.targetsByState.goal_met ?? 0,
      with_pending_work: counts.targetsWithPendingWork,
    },
    calls: counts.callsByStatus,
    whatsapp_messages: counts.messagesByStatus,
    // Share of targets with no work left; nothing has started on a draft.
    progress: campaign.status === 'draft' || total === 0 ? 0 : (total - counts.targetsWithPendingWork) / total,
  };
}

import type { Campaign } from '../db/repositories/campaigns.js';
import { lockCampaign, lockRollout } from '../db/locks.js';
import { hasEntries } from '../db/repositories/do-not-contact.js';
import { nextRolloutTargets, markListed, segmentFacts, writeOpenings, type RolloutScope, type Opening } from '../db/repositories/rollout-targets.js';
import { activeRollouts, recordRolloutBatch, rolloutsToRun, emptyRolloutCounts, type RolloutCounts, type Rollout } from '../db/repositories/rollouts.js';
import { commitWithoutWaitingForDisk, type Db } from '../db/sql.js';
import { nextWindowMoment } from '../domain/call-window.js';
import type { ResumeSegment } from '../domain/lifecycle.js';
import { decideOpening, type OpeningFacts, type RoundOpening } from '../domain/rounds.js';
import { callWindowOf, roundPolicyOf } from './campaign-policy.js';
import type { ServiceDeps } from './deps.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'logger' | 'settings'>;

/**
 * Adds one target's (or one group's) opening decision to the counts. A listed target has no
 * channel that may serve it: it counts as skipped for missing contact (the resume result's four counts
 * still add up to the selection), and apart in `skippedDoNotContact`.
 */
function count(counts: RolloutCounts, opening: RoundOpening, n = 1): void {
  counts.selected += n;
  if (opening.kind === 'open') {
    if (opening.countsAs === 'scheduled_calls') counts.scheduledCalls += n;
    else counts.queuedWhatsapp += n;
  } else if (opening.reason === 'existing_pending') counts.skippedExistingPending += n;
  else {
    counts.skippedMissingContact += n;
    if (opening.reason === 'do_not_contact') counts.skippedDoNotContact += n;
  }
}

async function scopeOf(db: Db, campaign: Campaign): Promise<RolloutScope> {
  return { organizationId: campaign.organizationId, campaignTimezone: campaign.timezone, listEmpty: !(await hasEntries(db, campaign.organizationId)) };
}

/**
 * What a resume of `segment` will do, counted now by aggregate (docs/product.md, "Resume segments"):
 * the segment's targets grouped by their opening facts, each group decided by the domain. The
 * rounds themselves are opened by the hopper, running the rollout.
 */
export async function countSegment(tx: Db, campaign: Campaign, segment: ResumeSegment): Promise<RolloutCounts> {
  const groups = await segmentFacts(tx, campaign.id, segment, await activeRollouts(tx, campaign.id), await scopeOf(tx, campaign));
  const counts = emptyRolloutCounts();
  const policy = roundPolicyOf(campaign);
  for (const { count: n, ...facts } of groups) count(counts, decideOpening(policy, openingFacts(facts)), n);
  return counts;
}

const openingFacts = (facts: { hasPending: boolean; hasPhone: boolean; hasWhatsapp: boolean; listed: boolean }): OpeningFacts => ({
  hasPending: facts.hasPending,
  hasPhone: facts.hasPhone,
  hasWhatsapp: facts.hasWhatsapp,
  doNotContact: facts.listed,
});

export interface RolloutPassResult {
  opened: number;
  finished: string[];
  /** Some rollout stopped at the per-pass cap with targets left: another pass should follow soon. */
  more: boolean;
}

/**
 * The hopper's round opening: for every running campaign, its oldest active rollout opens the
 * rounds of its next targets in id order, a batch per transaction, up to
 * `rolloutTargetsPerPass` targets per pass. Returns how many rounds opened and the campaigns
 * whose rollout ran out (they may be done).
 */
export async function runRollouts(deps: Deps): Promise<RolloutPassResult> {
  const result: RolloutPassResult = { opened: 0, finished: [], more: false };
  for (const rollout of await rolloutsToRun(deps.db.sql)) {
    let rolledOut = 0;
    for (;;) {
      const batch = await runRolloutBatch(deps, rollout);
      if (!batch) break;
      rolledOut += batch.selected;
      result.opened += batch.scheduledCalls + batch.queuedWhatsapp;
      if (batch.finished) {
        result.finished.push(rollout.campaignId);
        break;
      }
      if (rolledOut >= deps.settings.rolloutTargetsPerPass) {
        result.more = true;
        break;
      }
    }
  }
  return result;
}

/**
 * One batch of one rollout, in one transaction: the campaign is locked shared and must be
 * running, then the rollout row (skipped while another process runs a batch of it); the targets
 * after the cursor are locked, each decided by the domain, their rounds opened set-based, and
 * the cursor moved. A crash anywhere rolls the batch back: no target is skipped or given two rounds.
 */
async function runRolloutBatch(deps: Deps, unlocked: Rollout): Promise<(RolloutCounts & { finished: boolean }) | null> {
  return deps.db.sql.transaction(async (tx) => {
    const campaign = await lockCampaign(tx, unlocked.campaignId, 'shared');
    if (campaign?.status !== 'running') return null;
    const rollout = await lockRollout(tx, unlocked.id);
    if (!rollout) return null;
    await commitWithoutWaitingForDisk(tx);
    const size = deps.settings.rolloutBatchSize;
    const candidates = await nextRolloutTargets(tx, rollout, await scopeOf(tx, campaign), size);
    const now = deps.clock();
    const policy = roundPolicyOf(campaign);
    const window = callWindowOf(campaign);
    const dueByZone = new Map<string, Date>();
    const callDue = (zone: string) => {
      if (!dueByZone.has(zone)) dueByZone.set(zone, nextWindowMoment(now, window, zone));
      return dueByZone.get(zone)!;
    };
    const counts = emptyRolloutCounts();
    const openings: Opening[] = [];
    const listed: string[] = [];
    for (const candidate of candidates) {
      const opening = decideOpening(policy, openingFacts(candidate));
      count(counts, opening);
      if (opening.kind === 'open') {
        openings.push({ targetId: candidate.id, callDue: opening.call ? callDue(candidate.zone) : null, message: opening.message });
      } else if (opening.reason === 'do_not_contact') listed.push(candidate.id);
    }
    await writeOpenings(tx, campaign.id, openings, now);
    await markListed(tx, listed, now);
    const finished = candidates.length < size;
    await recordRolloutBatch(tx, rollout.id, candidates.at(-1)?.id ?? rollout.cursor, counts, finished ? now : null);
    return { ...counts, finished };
  });
}

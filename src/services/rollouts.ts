import type { Campaign } from '../db/repositories/campaigns.js';
import { lockCampaign, lockRollout, lockRollouts, shareCampaigns } from '../db/locks.js';
import { hasEntries } from '../db/repositories/do-not-contact.js';
import {
  nextRolloutTargets,
  nextStartTargets,
  markListed,
  segmentFacts,
  writeOpenings,
  type OpeningCandidate,
  type Opening,
  type RolloutScope,
  type StartWalk,
} from '../db/repositories/rollout-targets.js';
import {
  activeRollouts,
  recordRolloutBatches,
  rolloutsToRun,
  emptyRolloutCounts,
  type RolloutBatch,
  type RolloutCounts,
  type Rollout,
} from '../db/repositories/rollouts.js';
import { commitWithoutWaitingForDisk, type Db } from '../db/sql.js';
import { nextWindowMoment } from '../domain/call-window.js';
import { earliestContact } from '../domain/schedule.js';
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

/** Start rollouts whose batches share one transaction (their targets read in one statement). */
const ROLLOUTS_PER_BATCH = 100;

/**
 * The hopper's round opening: for every running campaign, its oldest active rollout opens the
 * rounds of its next targets in id order, a batch per transaction, up to
 * `rolloutTargetsPerPass` targets per pass. Start rollouts go together, many campaigns per
 * transaction (a platform starts thousands of small campaigns); resume rollouts one at a time.
 * Returns how many rounds opened and the campaigns whose rollout ran out (they may be done).
 */
export async function runRollouts(deps: Deps): Promise<RolloutPassResult> {
  const result: RolloutPassResult = { opened: 0, finished: [], more: false };
  const toRun = await rolloutsToRun(deps.db.sql);
  let walking = toRun.filter((rollout) => rollout.kind === 'start').map((rollout) => ({ rollout, rolledOut: 0 }));
  while (walking.length > 0) {
    const ran = await runStartBatches(
      deps,
      walking.slice(0, ROLLOUTS_PER_BATCH).map((entry) => entry.rollout),
    );
    const next: typeof walking = [];
    for (const entry of walking) {
      const batch = ran.get(entry.rollout.id);
      // Not reached by this transaction: the next one takes it.
      if (batch === undefined) next.push(entry);
      if (!batch) continue;
      if (!recordPass(result, entry.rollout, batch, (entry.rolledOut += batch.selected), deps.settings.rolloutTargetsPerPass)) {
        next.push({ rollout: { ...entry.rollout, cursor: batch.cursor }, rolledOut: entry.rolledOut });
      }
    }
    walking = next;
  }
  for (const rollout of toRun.filter((candidate) => candidate.kind !== 'start')) {
    let rolledOut = 0;
    for (;;) {
      const batch = await runRolloutBatch(deps, rollout);
      if (!batch || recordPass(result, rollout, batch, (rolledOut += batch.selected), deps.settings.rolloutTargetsPerPass)) break;
    }
  }
  return result;
}

/** Adds a batch to the pass; true when the rollout is done for this pass (finished, or at the per-pass cap). */
function recordPass(result: RolloutPassResult, rollout: Rollout, batch: BatchOutcome, rolledOut: number, perPass: number): boolean {
  result.opened += batch.scheduledCalls + batch.queuedWhatsapp;
  if (batch.finished) {
    result.finished.push(rollout.campaignId);
    return true;
  }
  if (rolledOut >= perPass) {
    result.more = true;
    return true;
  }
  return false;
}

type BatchOutcome = RolloutCounts & { finished: boolean; cursor: string };

interface Decisions {
  counts: RolloutCounts;
  openings: Opening[];
  listed: string[];
}

/** Decides a batch's candidates: the rounds to open, the listed targets, and their counts. */
function decideRounds(campaign: Campaign, candidates: OpeningCandidate[], now: Date): Decisions {
  const policy = roundPolicyOf(campaign);
  const window = callWindowOf(campaign);
  // Nothing is due before the campaign's starts_at.
  const earliest = earliestContact(campaign, now);
  const dueByZone = new Map<string, Date>();
  const callDue = (zone: string) => {
    if (!dueByZone.has(zone)) dueByZone.set(zone, nextWindowMoment(earliest, window, zone));
    return dueByZone.get(zone)!;
  };
  const decisions: Decisions = { counts: emptyRolloutCounts(), openings: [], listed: [] };
  for (const candidate of candidates) {
    const opening = decideOpening(policy, openingFacts(candidate));
    count(decisions.counts, opening);
    if (opening.kind === 'open') {
      decisions.openings.push({
        targetId: candidate.id,
        callDue: opening.call ? callDue(candidate.zone) : null,
        message: opening.message && { endsRound: opening.message.endsRound, due: earliest },
      });
    } else if (opening.reason === 'do_not_contact') decisions.listed.push(candidate.id);
  }
  return decisions;
}

/** Writes the batches of one transaction together: every opening, every listed target, every rollout's cursor and counts. */
async function writeBatches(tx: Db, decided: Decisions[], batches: RolloutBatch[], now: Date): Promise<void> {
  await writeOpenings(
    tx,
    decided.flatMap((decisions) => decisions.openings),
    now,
  );
  await markListed(
    tx,
    decided.flatMap((decisions) => decisions.listed),
    now,
  );
  await recordRolloutBatches(tx, batches);
}

/**
 * One batch of each of several start rollouts, in one transaction: their campaigns locked shared
 * and running, the rollout rows locked (skipping those another process runs now), their next
 * targets read and locked in one statement, each decided by the domain and opened, each cursor
 * moved. Returns each rollout's batch (null: skipped), absent for rollouts the read did not
 * reach (the targets of one transaction are bounded by `rolloutBatchSize`).
 */
async function runStartBatches(deps: Deps, rollouts: readonly Rollout[]): Promise<Map<string, BatchOutcome | null>> {
  return deps.db.sql.transaction(async (tx) => {
    const outcomes = new Map<string, BatchOutcome | null>(rollouts.map((rollout) => [rollout.id, null]));
    const campaigns = await shareCampaigns(
      tx,
      rollouts.map((rollout) => rollout.campaignId),
    );
    const locked = await lockRollouts(
      tx,
      rollouts.filter((rollout) => campaigns.get(rollout.campaignId)?.status === 'running').map((rollout) => rollout.id),
    );
    const walks: StartWalk[] = [];
    const listEmpty = new Map<string, boolean>();
    for (const rollout of rollouts) {
      const current = locked.get(rollout.id);
      if (!current) continue;
      const campaign = campaigns.get(rollout.campaignId)!;
      if (!listEmpty.has(campaign.organizationId)) listEmpty.set(campaign.organizationId, !(await hasEntries(tx, campaign.organizationId)));
      walks.push({
        rollout: current,
        scope: { organizationId: campaign.organizationId, campaignTimezone: campaign.timezone, listEmpty: listEmpty.get(campaign.organizationId)! },
      });
    }
    if (walks.length === 0) return outcomes;
    await commitWithoutWaitingForDisk(tx);
    const size = deps.settings.rolloutBatchSize;
    const { candidates, cutFrom } = await nextStartTargets(tx, walks, size, size);
    const now = deps.clock();
    const byRollout = new Map<string, OpeningCandidate[]>();
    for (const candidate of candidates) {
      const group = byRollout.get(candidate.rolloutId);
      if (group) group.push(candidate);
      else byRollout.set(candidate.rolloutId, [candidate]);
    }
    const decided: Decisions[] = [];
    const batches: RolloutBatch[] = [];
    for (const [index, { rollout }] of walks.entries()) {
      if (cutFrom !== null && index > cutFrom) {
        outcomes.delete(rollout.id);
        continue;
      }
      const mine = byRollout.get(rollout.id) ?? [];
      const decisions = decideRounds(campaigns.get(rollout.campaignId)!, mine, now);
      // The rollout the read stopped in may have more targets, however few it read.
      const finished = index !== cutFrom && mine.length < size;
      const cursor = mine.at(-1)?.id ?? rollout.cursor;
      decided.push(decisions);
      batches.push({ id: rollout.id, cursor, counts: decisions.counts, finishedAt: finished ? now : null });
      outcomes.set(rollout.id, { ...decisions.counts, finished, cursor });
    }
    await writeBatches(tx, decided, batches, now);
    return outcomes;
  });
}

/**
 * One batch of one rollout, in one transaction: the campaign is locked shared and must be
 * running, then the rollout row (skipped while another process runs a batch of it); the targets
 * after the cursor are locked, each decided by the domain, their rounds opened set-based, and
 * the cursor moved. A crash anywhere rolls the batch back: no target is skipped or given two rounds.
 */
async function runRolloutBatch(deps: Deps, unlocked: Rollout): Promise<BatchOutcome | null> {
  return deps.db.sql.transaction(async (tx) => {
    const campaign = await lockCampaign(tx, unlocked.campaignId, 'shared');
    if (campaign?.status !== 'running') return null;
    const rollout = await lockRollout(tx, unlocked.id);
    if (!rollout) return null;
    await commitWithoutWaitingForDisk(tx);
    const size = deps.settings.rolloutBatchSize;
    const candidates = await nextRolloutTargets(tx, rollout, await scopeOf(tx, campaign), size);
    const now = deps.clock();
    const decisions = decideRounds(campaign, candidates, now);
    const finished = candidates.length < size;
    const cursor = candidates.at(-1)?.id ?? rollout.cursor;
    await writeBatches(tx, [decisions], [{ id: rollout.id, cursor, counts: decisions.counts, finishedAt: finished ? now : null }], now);
    return { ...decisions.counts, finished, cursor };
  });
}

import { channelNamed } from '../channels.js';
import { channelNames, type ChannelName } from '../domain/channel-names.js';
import { findCampaignsByIds, recordDials, type Campaign } from '../db/repositories/campaigns.js';
import {
  activeCalls,
  cancelWork,
  holdWork,
  markClaimed,
  organizationActiveCalls,
  organizationLimits,
  type WorkSnapshotRow,
} from '../db/repositories/dispatch.js';
import { lockCampaignsForDispatch, lockContacts, lockOrganizations, lockWork } from '../db/locks.js';
import { contactCapsOf, contactKeyOf, recentContactDials, recordContactDials, type ContactKey } from '../db/repositories/contact-policies.js';
import type { ContactCap } from '../domain/contact-caps.js';
import type { Db } from '../db/sql.js';
import { decideDispatch, type DispatchDecision, type DispatchSnapshot } from '../domain/dispatch-policy.js';
import { PACING_WINDOW_MS } from '../domain/pacing.js';
import { NotFound } from '../domain/errors.js';
import { applyAfterCommit } from './after-commit.js';
import { createBatcher } from './batcher.js';
import { ownedRequests } from './owned-work.js';
import { callWindowOf } from './campaign-policy.js';
import type { ServiceDeps } from './deps.js';
import { applyListToTargets } from './do-not-contact.js';

export interface ClaimRequest {
  channel: ChannelName;
  id: string;
  /** The promotion number the job carries. */
  promotion: number;
  /** Set for claims over HTTP: another organization's call is "not found". */
  organizationId?: string | undefined;
}

type Deps = Pick<ServiceDeps, 'db' | 'queues' | 'clock' | 'logger' | 'metrics' | 'settings'>;

const isPaced = (campaign: Campaign) => campaign.maxCallsPerMinute !== null || campaign.maxConcurrentCalls !== null;

/** Pacing facts of one campaign, kept current while the batch decides claim after claim. */
interface PacingState {
  recentDials: Date[];
  active: number;
  organization: { active: number; limit: number | null };
}

/**
 * The dispatch guard for a batch of jobs, in one transaction. Each job gets one decision of the
 * domain's dispatch policy, read from one snapshot per row (the row under lock, its campaign,
 * its target's zone and do-not-contact status, the campaign's pacing), and the decision is
 * written here: dial (a call becomes `dialing`), hold (the row goes back to the hopper), cancel
 * (the target is listed), or nothing (drop, retry).
 */
export async function claimWork(deps: Deps, claims: readonly ClaimRequest[]): Promise<Array<DispatchDecision | Error>> {
  const results: Array<DispatchDecision | Error> = claims.map((): DispatchDecision => ({ kind: 'drop', reason: 'work_gone' }));
  const listed = new Set<string>();
  let held = false;
  for (const channel of channelNames) {
    const mine = claims.map((claim, index) => ({ claim, index })).filter(({ claim }) => claim.channel === channel);
    if (mine.length === 0) continue;
    const owned = await ownedRequests(
      deps,
      channel,
      mine.map(({ claim }) => claim),
      (claim) => claim.id,
    );
    // Over HTTP an unknown id, or another organization's, is not found; a job whose row is gone
    // is simply dropped.
    const visible = new Set(owned.map(({ index }) => index));
    mine.forEach(({ claim, index }, position) => {
      if (claim.organizationId !== undefined && !visible.has(position)) {
        results[index] = new NotFound(channelNamed(channel).notFound);
      }
    });
    const accepted = owned.map(({ owner, index }) => ({ claim: mine[index]!.claim, index: mine[index]!.index, owner }));
    const campaignIds = [...new Set(accepted.map(({ owner }) => owner.campaignId))];

    await deps.db.sql.transaction(async (tx) => {
      // Calls of campaigns (or organizations) with limits are claimed one batch at a time per
      // campaign: their locks are exclusive (the order: src/db/locks.ts).
      const settings = await findCampaignsByIds(tx, campaignIds);
      const limited = channelNamed(channel).paced;
      const organizations = limited
        ? await lockLimitedOrganizations(tx, [...new Set([...settings.values()].map((campaign) => campaign.organizationId))])
        : new Map();
      const paced = limited ? [...settings.values()].filter((campaign) => isPaced(campaign) || organizations.get(campaign.organizationId) !== null) : [];
      const campaigns = await lockCampaignsForDispatch(tx, campaignIds, new Set(paced.map((campaign) => campaign.id)));
      const rows = new Map(
        (
          await lockWork(
            tx,
            channel,
            accepted.map(({ claim }) => claim.id),
          )
        ).map((row) => [row.id, row]),
      );
      // Decided as of now and from the locked campaign rows: a batch that waited for another's
      // locks sees that batch's dials (the settings above were read before the locks), and its
      // own dials come after them.
      const now = deps.clock();
      const pacing = await readPacing(
        tx,
        paced.map((campaign) => campaigns.get(campaign.id) ?? campaign),
        organizations,
        now,
      );
      const contacts = limited ? await readContacts(tx, [...rows.values()], now) : NO_CONTACTS;

      const dial: string[] = [];
      const dials: Array<ContactKey & { callId: string; dialedAt: Date }> = [];
      const hold: Array<{ id: string; until: Date | null; reason: string }> = [];
      const cancel: string[] = [];
      for (const { claim, index } of accepted) {
        const row = rows.get(claim.id);
        const campaign = row && campaigns.get(row.campaignId);
        if (!row || !campaign) continue;
        const contact = contacts.of(row);
        const decision = decideDispatch(snapshotOf(channel, claim, row, campaign, pacing.get(campaign.id), contact, now), {
          concurrencyRetryMs: deps.settings.concurrencyRetryMs,
        });
        results[index] = decision;
        deps.metrics.dispatchDecisions.inc({ channel, decision: decision.kind });
        if (decision.kind === 'dial') {
          const redelivered = row.status === channelNamed(channel).claimed;
          if (!redelivered) dial.push(row.id);
          if (!redelivered && contact.caps.length > 0) {
            // The next claim of this number in the batch counts this dial.
            contact.dials.push(now);
            dials.push({ organizationId: row.organizationId, phone: row.phone!, callId: row.id, dialedAt: now });
          }
          const state = pacing.get(campaign.id);
          if (state && !redelivered) {
            state.recentDials.push(now);
            state.active += 1;
            state.organization.active += 1;
          }
        } else if (decision.kind === 'hold') {
          hold.push({ id: row.id, until: decision.until, reason: decision.reason });
          if (decision.reason === 'contact_cap') deps.metrics.contactCapHolds.inc();
        } else if (decision.kind === 'cancel') {
          cancel.push(row.id);
          listed.add(row.targetId);
        }
      }
      await markClaimed(tx, channel, dial, now);
      await recordContactDials(tx, dials);
      await holdWork(tx, channel, hold, now);
      await cancelWork(tx, channel, cancel, 'do_not_contact', now);
      for (const campaign of paced) {
        if (campaign.maxCallsPerMinute !== null) await recordDials(tx, campaign.id, pacing.get(campaign.id)!.recentDials, windowBefore(now));
      }
      held ||= hold.length > 0;
    });
  }
  // Listed targets: their other waiting work is canceled and their state says so.
  if (listed.size > 0) await applyListToTargets(deps, [...listed]);
  if (held) await applyAfterCommit(deps, { hopperPass: true });
  return results;
}

/** Dials older than the pacing window no longer count: they are forgotten. */
const windowBefore = (now: Date) => new Date(now.getTime() - PACING_WINDOW_MS);

/** The organizations' call limits; those with one are locked (their claims go one batch at a time). */
async function lockLimitedOrganizations(tx: Db, organizationIds: string[]): Promise<Map<string, number | null>> {
  const limits = await organizationLimits(tx, organizationIds);
  const limited = [...limits].filter(([, limit]) => limit !== null).map(([organizationId]) => organizationId);
  const locked = await lockOrganizations(tx, limited);
  for (const organizationId of limited) limits.set(organizationId, locked.get(organizationId) ?? null);
  return limits;
}

async function readPacing(tx: Db, paced: Campaign[], organizations: Map<string, number | null>, now: Date): Promise<Map<string, PacingState>> {
  const byOrganization = new Map<string, { active: number; limit: number | null }>();
  for (const [organizationId, limit] of organizations) {
    // Only organizations with a limit need their count of calls under way.
    byOrganization.set(organizationId, { active: limit === null ? 0 : await organizationActiveCalls(tx, organizationId), limit });
  }
  const pacing = new Map<string, PacingState>();
  for (const campaign of paced) {
    pacing.set(campaign.id, {
      recentDials: (campaign.recentDials ?? []).filter((dial) => dial.getTime() > windowBefore(now).getTime()),
      active: campaign.maxConcurrentCalls === null ? 0 : await activeCalls(tx, campaign.id),
      organization: byOrganization.get(campaign.organizationId)!,
    });
  }
  return pacing;
}

/** The contact caps of a batch's rows: each row's organization's caps and its number's dials. */
interface BatchContacts {
  of(row: WorkSnapshotRow): { caps: readonly ContactCap[]; dials: Date[] };
}

const NO_CONTACTS: BatchContacts = { of: () => ({ caps: [], dials: [] }) };

/**
 * For the rows of organizations with contact caps: locks their numbers (one batch at a time
 * counts a number, whichever campaign calls it) and reads each number's dials within the longest
 * cap. A row without a number is never dialed, so it is not counted.
 */
async function readContacts(tx: Db, rows: WorkSnapshotRow[], now: Date): Promise<BatchContacts> {
  const caps = await contactCapsOf(tx, [...new Set(rows.map((row) => row.organizationId))]);
  if (caps.size === 0) return NO_CONTACTS;
  const keys = new Map<string, ContactKey>();
  for (const row of rows) {
    if (caps.has(row.organizationId) && row.phone !== null)
      keys.set(contactKeyOf({ organizationId: row.organizationId, phone: row.phone }), { organizationId: row.organizationId, phone: row.phone });
  }
  await lockContacts(tx, [...keys.keys()]);
  const longest = Math.max(...[...caps.values()].flatMap((list) => list.map((cap) => cap.hours)));
  const dials = await recentContactDials(tx, [...keys.values()], new Date(now.getTime() - longest * 3_600_000));
  return {
    of: (row) => {
      const organizationCaps = caps.get(row.organizationId);
      if (!organizationCaps || row.phone === null) return { caps: [], dials: [] };
      return { caps: organizationCaps, dials: dials.get(contactKeyOf({ organizationId: row.organizationId, phone: row.phone }))! };
    },
  };
}

function snapshotOf(
  channel: ChannelName,
  claim: ClaimRequest,
  row: WorkSnapshotRow,
  campaign: Campaign,
  pacing: PacingState | undefined,
  contact: DispatchSnapshot['contact'],
  now: Date,
): DispatchSnapshot {
  const descriptor = channelNamed(channel);
  const state = row.status === descriptor.claimed ? 'claimed' : row.status === descriptor.waiting ? 'pending' : 'finished';
  return {
    now,
    channel,
    jobPromotion: claim.promotion,
    work: { state, promotion: row.promotion, promoted: row.promoted, dueAt: row.dueAt },
    campaign: {
      status: campaign.status,
      dispatchExpiryMinutes: campaign.dispatchExpiryMinutes,
      maxCallsPerMinute: campaign.maxCallsPerMinute,
      maxConcurrentCalls: campaign.maxConcurrentCalls,
      window: callWindowOf(campaign),
      startsAt: campaign.startsAt,
      endsAt: campaign.endsAt,
    },
    target: { zone: row.zone, doNotContact: row.listed },
    contact,
    pacing: {
      recentDials: pacing?.recentDials ?? [],
      campaignActiveCalls: pacing?.active ?? 0,
      organizationActiveCalls: pacing?.organization.active ?? 0,
      organizationMaxConcurrentCalls: pacing?.organization.limit ?? null,
    },
  };
}

/** One claim at a time for callers, batched underneath (group commit). */
export function createClaimer(deps: Deps, options = { maxBatchSize: 200, maxInFlight: 2 }) {
  return createBatcher<ClaimRequest, DispatchDecision>((claims) => claimWork(deps, claims), options);
}

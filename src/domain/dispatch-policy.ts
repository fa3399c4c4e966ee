import { nextWindowMoment, nextWindowOpening } from './call-window.js';
import { channelRules, type ChannelName } from './channel-names.js';
import { capHoldUntil, type ContactCap } from './contact-caps.js';
import type { CampaignStatus } from './lifecycle.js';
import { rateHoldUntil } from './pacing.js';
import { earliestContact, isPastEnd } from './schedule.js';
import type { CallWindow } from './working-hours.js';

/**
 * The one dispatch decision (docs/product.md, "Lifecycle" guard, "Compliance and pacing"): whether a
 * call or message whose job has just been handed out is contacted now. Pure; both transports (the
 * helper's claim job, the HTTP claim) go through src/services/dispatch.ts, which reads one
 * snapshot under lock, and get their answers from one mapping, src/services/claim-answers.ts.
 */

export interface DispatchSnapshot {
  now: Date;
  channel: ChannelName;
  /** The promotion number the job carries. */
  jobPromotion: number;
  /** The call or message row as read under lock; null when it no longer exists. */
  work: null | {
    /** scheduled/queued → pending; dialing → claimed; anything else → finished. */
    state: 'pending' | 'claimed' | 'finished';
    promotion: number;
    /** promoted_at IS NOT NULL. */
    promoted: boolean;
    /** scheduled_for of the row. */
    dueAt: Date;
  };
  campaign: {
    status: CampaignStatus;
    /** `dispatch_expiry_minutes`, default 60. */
    dispatchExpiryMinutes: number;
    maxCallsPerMinute: number | null;
    maxConcurrentCalls: number | null;
    window: CallWindow;
    /** The campaign's schedule (`starts_at`, `ends_at`): nobody is contacted outside it. */
    startsAt: Date | null;
    endsAt: Date | null;
  };
  /** `zone`: the zone the target reads the window in (its own, else the campaign's, else UTC). */
  target: { zone: string; doNotContact: boolean };
  /**
   * The organization's caps on calls to one number, and the earlier dials of the target's number
   * in every campaign of the organization (those of this batch included). No caps: empty.
   */
  contact: { caps: readonly ContactCap[]; dials: readonly Date[] };
  pacing: {
    /** This campaign's hand-out times within the pacing window (a minute plus a margin). */
    recentDials: Date[];
    /** This campaign's calls currently dialing, this one excluded. */
    campaignActiveCalls: number;
    organizationActiveCalls: number;
    organizationMaxConcurrentCalls: number | null;
  };
}

export type HoldReason = 'campaign_not_running' | 'before_start' | 'campaign_ended' | 'rate_limit' | 'concurrency_limit' | 'expired' | 'contact_cap';

export type DispatchDecision =
  /** Contact the target now (place the call, send the message). */
  | { kind: 'dial' }
  /** The job is ahead of its row: its promotion is not committed yet. Retry the job shortly. */
  | { kind: 'retry'; reason: 'promotion_not_committed' }
  /** Acknowledge the job and touch nothing. */
  | { kind: 'drop'; reason: 'work_gone' | 'work_finished' | 'superseded' | 'unpromoted' }
  /** The target is on the do-not-contact list: cancel the target's pending work. */
  | { kind: 'cancel'; reason: 'do_not_contact' }
  /** Give the row back to the hopper (unpromote it); `until` is its new due time, null keeps it. */
  | { kind: 'hold'; until: Date | null; reason: HoldReason };

export interface DispatchSettings {
  /** How long a call held by a concurrency limit waits before it is tried again. */
  concurrencyRetryMs: number;
}

export const DEFAULT_DISPATCH_SETTINGS: DispatchSettings = { concurrencyRetryMs: 5000 };

const MINUTE_MS = 60_000;

const hold = (until: Date | null, reason: HoldReason): DispatchDecision => ({ kind: 'hold', until, reason });

const reached = (active: number, limit: number | null) => limit !== null && active >= limit;

/**
 * Rules, first match wins: the job's standing against its row (gone, ahead, stale, finished), a
 * redelivered claim, the campaign's status, the do-not-contact list, its schedule, expiry, then for paced
 * channels only (calls: `channelRules`) the organization's contact caps (held until the first
 * moment in the window that every cap allows), concurrency and the calls-per-minute rate.
 */
export function decideDispatch(s: DispatchSnapshot, settings: DispatchSettings = DEFAULT_DISPATCH_SETTINGS): DispatchDecision {
  if (!Number.isFinite(settings.concurrencyRetryMs) || settings.concurrencyRetryMs <= 0) {
    throw new RangeError('concurrencyRetryMs must be a positive number of milliseconds');
  }
  const { work } = s;
  if (work === null) return { kind: 'drop', reason: 'work_gone' };
  if (s.jobPromotion > work.promotion) return { kind: 'retry', reason: 'promotion_not_committed' };
  if (s.jobPromotion < work.promotion) return { kind: 'drop', reason: 'superseded' };
  if (!work.promoted) return { kind: 'drop', reason: 'unpromoted' };
  if (work.state === 'finished') return { kind: 'drop', reason: 'work_finished' };
  // Claimed under this very promotion: the dialer crashed and the job was redelivered.
  if (work.state === 'claimed') return { kind: 'dial' };
  if (s.campaign.status !== 'running') return hold(null, 'campaign_not_running');
  if (s.target.doNotContact) return { kind: 'cancel', reason: 'do_not_contact' };
  // Work due before the schedule moved (a PATCH while paused) waits for its start; after its end
  // the hopper's next pass completes the campaign and cancels it.
  const schedule = { startsAt: s.campaign.startsAt, endsAt: s.campaign.endsAt };
  if (isPastEnd(schedule, s.now)) return hold(null, 'campaign_ended');
  if (earliestContact(schedule, s.now) > s.now) {
    return hold(channelRules[s.channel].paced ? nextWindowMoment(schedule.startsAt!, s.campaign.window, s.target.zone) : schedule.startsAt, 'before_start');
  }

  const nowMs = s.now.getTime();
  const dueMs = work.dueAt.getTime();
  if (Number.isNaN(nowMs) || Number.isNaN(dueMs)) throw new RangeError('now and dueAt must be valid dates');
  if (nowMs - dueMs > s.campaign.dispatchExpiryMinutes * MINUTE_MS) {
    return hold(nextWindowOpening(s.now, s.campaign.window, s.target.zone), 'expired');
  }
  if (!channelRules[s.channel].paced) return { kind: 'dial' };
  const capped = capHoldUntil(s.now, s.contact.dials, s.contact.caps);
  if (capped !== null) return hold(nextWindowMoment(capped, s.campaign.window, s.target.zone), 'contact_cap');
  if (
    reached(s.pacing.campaignActiveCalls, s.campaign.maxConcurrentCalls) ||
    reached(s.pacing.organizationActiveCalls, s.pacing.organizationMaxConcurrentCalls)
  ) {
    return hold(new Date(nowMs + settings.concurrencyRetryMs), 'concurrency_limit');
  }
  if (s.campaign.maxCallsPerMinute !== null) {
    const until = rateHoldUntil(s.now, s.pacing.recentDials, s.campaign.maxCallsPerMinute);
    if (until !== null) return hold(until, 'rate_limit');
  }
  return { kind: 'dial' };
}

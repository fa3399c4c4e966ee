import { PACING_WINDOW_MS } from '../../src/domain/pacing.js';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { isInsideWindow } from '../../src/domain/call-window.js';
import { decideDispatch, type DispatchDecision, type DispatchSnapshot } from '../../src/domain/dispatch-policy.js';
import { campaignStatuses, type CampaignStatus } from '../../src/domain/lifecycle.js';
import { DEFAULT_CALL_WINDOW, type CallWindow } from '../../src/domain/working-hours.js';

// docs/product.md, "Lifecycle" (the guard) and "Compliance and pacing": one dispatch policy.

const S = 1000;
const MIN = 60 * S;
/** The guard's sliding window: a minute plus the hand-out margin. */
const WINDOW = PACING_WINDOW_MS;
const NOW = new Date('2024-06-10T10:00:00Z'); // Monday 12:00 in Berlin: inside the default window
const ZONE = 'Europe/Berlin';
/** The next opening of the default window after NOW in Berlin: Tuesday 09:00. */
const NEXT_OPENING = new Date('2024-06-11T07:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const later = (ms: number) => new Date(NOW.getTime() + ms);

const ROW_PROMOTION = 3;

type Channel = DispatchSnapshot['channel'];
type WorkState = 'pending' | 'claimed' | 'finished';
type PromotionStanding = 'job_ahead' | 'same' | 'job_behind';
type WorkCase = 'gone' | { state: WorkState; standing: PromotionStanding; promoted: boolean };
type Staleness = 'fresh' | 'at_expiry' | 'expired';
type Pacing = 'free' | 'rate_limited' | 'campaign_full' | 'organization_full' | 'all_limits' | 'unlimited_busy';

interface PacingFixture {
  maxCallsPerMinute: number | null;
  maxConcurrentCalls: number | null;
  pacing: DispatchSnapshot['pacing'];
}

const PACING: Record<Pacing, PacingFixture> = {
  // Every limit set and one short of being reached; the hand-out exactly a window ago no longer counts.
  free: {
    maxCallsPerMinute: 2,
    maxConcurrentCalls: 3,
    pacing: { recentDials: [ago(WINDOW), ago(30 * S)], campaignActiveCalls: 2, organizationActiveCalls: 9, organizationMaxConcurrentCalls: 10 },
  },
  // Two hand-outs within the window at 2 per minute: allowed again when the one 50 s ago leaves it.
  rate_limited: {
    maxCallsPerMinute: 2,
    maxConcurrentCalls: 3,
    pacing: { recentDials: [ago(70 * S), ago(50 * S), ago(20 * S)], campaignActiveCalls: 0, organizationActiveCalls: 0, organizationMaxConcurrentCalls: 10 },
  },
  campaign_full: {
    maxCallsPerMinute: 2,
    maxConcurrentCalls: 3,
    pacing: { recentDials: [], campaignActiveCalls: 3, organizationActiveCalls: 3, organizationMaxConcurrentCalls: 10 },
  },
  // Over the organization's limit (it was lowered while calls ran), the campaign's own one free.
  organization_full: {
    maxCallsPerMinute: 2,
    maxConcurrentCalls: 3,
    pacing: { recentDials: [], campaignActiveCalls: 1, organizationActiveCalls: 12, organizationMaxConcurrentCalls: 10 },
  },
  // Rate, campaign and organization limits all reached at once.
  all_limits: {
    maxCallsPerMinute: 1,
    maxConcurrentCalls: 1,
    pacing: { recentDials: [ago(10 * S)], campaignActiveCalls: 1, organizationActiveCalls: 10, organizationMaxConcurrentCalls: 10 },
  },
  // No limit configured: however busy, nothing is held.
  unlimited_busy: {
    maxCallsPerMinute: null,
    maxConcurrentCalls: null,
    pacing: {
      recentDials: Array.from({ length: 100 }, (_, k) => ago(k * 500)),
      campaignActiveCalls: 50,
      organizationActiveCalls: 500,
      organizationMaxConcurrentCalls: null,
    },
  },
};

const DUE: Record<Staleness, Date> = {
  fresh: ago(5 * MIN),
  // Exactly dispatch_expiry_minutes late is not yet "more than" that.
  at_expiry: ago(60 * MIN),
  expired: ago(60 * MIN + 1),
};

interface Row {
  channel: Channel;
  work: WorkCase;
  status: CampaignStatus;
  doNotContact: boolean;
  staleness: Staleness;
  pacing: Pacing;
}

function snapshotOf(row: Row): DispatchSnapshot {
  const fixture = PACING[row.pacing];
  const jobPromotion = row.work === 'gone' ? ROW_PROMOTION : ROW_PROMOTION + { job_ahead: 1, same: 0, job_behind: -1 }[row.work.standing];
  return {
    now: NOW,
    channel: row.channel,
    jobPromotion,
    work: row.work === 'gone' ? null : { state: row.work.state, promotion: ROW_PROMOTION, promoted: row.work.promoted, dueAt: DUE[row.staleness] },
    campaign: {
      status: row.status,
      dispatchExpiryMinutes: 60,
      maxCallsPerMinute: fixture.maxCallsPerMinute,
      maxConcurrentCalls: fixture.maxConcurrentCalls,
      window: DEFAULT_CALL_WINDOW,
      startsAt: null,
      endsAt: null,
    },
    target: { zone: ZONE, doNotContact: row.doNotContact },
    contact: { caps: [], dials: [] },
    pacing: fixture.pacing,
  };
}

/**
 * The expected decision of a row, stated from its labels by the rules in their order:
 * gone → drop; job ahead → retry; job behind or row unpromoted → drop; finished → drop; claimed →
 * dial again; not running → hold(null); listed → cancel; expired → hold(next opening); calls only:
 * a concurrency limit reached → hold(now + 5 s), the rate reached → hold(when the minute frees).
 */
function expectedByRule(row: Row): DispatchDecision {
  if (row.work === 'gone') return { kind: 'drop', reason: 'work_gone' };
  if (row.work.standing === 'job_ahead') return { kind: 'retry', reason: 'promotion_not_committed' };
  if (row.work.standing === 'job_behind') return { kind: 'drop', reason: 'superseded' };
  if (!row.work.promoted) return { kind: 'drop', reason: 'unpromoted' };
  if (row.work.state === 'finished') return { kind: 'drop', reason: 'work_finished' };
  if (row.work.state === 'claimed') return { kind: 'dial' };
  if (row.status !== 'running') return { kind: 'hold', until: null, reason: 'campaign_not_running' };
  if (row.doNotContact) return { kind: 'cancel', reason: 'do_not_contact' };
  if (row.staleness === 'expired') return { kind: 'hold', until: NEXT_OPENING, reason: 'expired' };
  if (row.channel === 'call') {
    if (row.pacing === 'campaign_full' || row.pacing === 'organization_full' || row.pacing === 'all_limits') {
      return { kind: 'hold', until: later(5 * S), reason: 'concurrency_limit' };
    }
    if (row.pacing === 'rate_limited') return { kind: 'hold', until: later(WINDOW - 50 * S), reason: 'rate_limit' };
  }
  return { kind: 'dial' };
}

const workCases: WorkCase[] = [
  'gone',
  ...(['pending', 'claimed', 'finished'] as const).flatMap((state) =>
    (['job_ahead', 'same', 'job_behind'] as const).flatMap((standing) => [true, false].map((promoted) => ({ state, standing, promoted }))),
  ),
];

const rows: Row[] = (['call', 'whatsapp'] as const).flatMap((channel) =>
  workCases.flatMap((work) =>
    campaignStatuses.flatMap((status) =>
      [false, true].flatMap((doNotContact) =>
        (['fresh', 'at_expiry', 'expired'] as const).flatMap((staleness) =>
          (Object.keys(PACING) as Pacing[]).map((pacing) => ({ channel, work, status, doNotContact, staleness, pacing })),
        ),
      ),
    ),
  ),
);

const label = (row: Row) =>
  [
    row.channel,
    row.work === 'gone' ? 'work gone' : `${row.work.state} ${row.work.standing} ${row.work.promoted ? 'promoted' : 'unpromoted'}`,
    row.status,
    row.doNotContact ? 'listed' : 'not listed',
    row.staleness,
    row.pacing,
  ].join(' | ');

describe('decideDispatch: every combination', () => {
  it('covers channel × work × campaign status × do-not-contact × staleness × pacing', () => {
    expect(workCases).toHaveLength(19);
    expect(rows).toHaveLength(2 * 19 * 4 * 2 * 3 * 6);
    // Every kind of decision and every hold reason occurs in the table.
    const kinds = new Set(
      rows.map((row) => {
        const e = expectedByRule(row);
        return e.kind === 'hold' ? `hold:${e.reason}` : e.kind;
      }),
    );
    expect([...kinds].sort()).toEqual([
      'cancel',
      'dial',
      'drop',
      'hold:campaign_not_running',
      'hold:concurrency_limit',
      'hold:expired',
      'hold:rate_limit',
      'retry',
    ]);
  });

  it.each(rows.map((row) => [label(row), row] as const))('%s', (_label, row) => {
    expect(decideDispatch(snapshotOf(row))).toEqual(expectedByRule(row));
  });
});

describe('decideDispatch: scenarios', () => {
  const base = (overrides: Partial<Row> = {}): DispatchSnapshot =>
    snapshotOf({
      channel: 'call',
      work: { state: 'pending', standing: 'same', promoted: true },
      status: 'running',
      doNotContact: false,
      staleness: 'fresh',
      pacing: 'free',
      ...overrides,
    });

  it('dials a due call of a running campaign within every limit', () => {
    expect(decideDispatch(base())).toEqual({ kind: 'dial' });
  });

  it('a dialer crashed mid-call: the redelivered job dials again, whatever else changed since', () => {
    const s = base({
      work: { state: 'claimed', standing: 'same', promoted: true },
      status: 'paused',
      doNotContact: true,
      staleness: 'expired',
      pacing: 'all_limits',
    });
    expect(decideDispatch(s)).toEqual({ kind: 'dial' });
  });

  it('a listed target of a paused campaign is held, not canceled: pause keeps work pending', () => {
    expect(decideDispatch(base({ status: 'paused', doNotContact: true }))).toEqual({ kind: 'hold', until: null, reason: 'campaign_not_running' });
  });

  it('a listed target is canceled even when the job is late or limits are reached', () => {
    expect(decideDispatch(base({ doNotContact: true, staleness: 'expired', pacing: 'all_limits' }))).toEqual({
      kind: 'cancel',
      reason: 'do_not_contact',
    });
  });

  it('a late job is moved to the next window rather than held for pacing', () => {
    expect(decideDispatch(base({ staleness: 'expired', pacing: 'rate_limited' }))).toEqual({
      kind: 'hold',
      until: NEXT_OPENING,
      reason: 'expired',
    });
  });

  it('the next window is read in the target’s zone and skips its blackout dates', () => {
    // NOW is Monday 19:00 in Tokyo: the default window has just closed there.
    const tokyo: DispatchSnapshot = { ...base({ staleness: 'expired' }), target: { zone: 'Asia/Tokyo', doNotContact: false } };
    expect(decideDispatch(tokyo)).toEqual({ kind: 'hold', until: new Date('2024-06-11T09:00:00+09:00'), reason: 'expired' });
    const window: CallWindow = { ...DEFAULT_CALL_WINDOW, blackoutDates: ['2024-06-11'] };
    const blackout: DispatchSnapshot = { ...tokyo, campaign: { ...tokyo.campaign, window } };
    expect(decideDispatch(blackout)).toEqual({ kind: 'hold', until: new Date('2024-06-12T09:00:00+09:00'), reason: 'expired' });
  });

  it('expiry counts from the due time in whole configured minutes', () => {
    const withExpiry = (minutes: number, dueAt: Date): DispatchSnapshot => {
      const s = base();
      return { ...s, work: s.work && { ...s.work, dueAt }, campaign: { ...s.campaign, dispatchExpiryMinutes: minutes } };
    };
    expect(decideDispatch(withExpiry(15, ago(15 * MIN))).kind).toBe('dial');
    expect(decideDispatch(withExpiry(15, ago(15 * MIN + 1)))).toMatchObject({ kind: 'hold', reason: 'expired' });
    expect(decideDispatch(withExpiry(0, NOW)).kind).toBe('dial');
    expect(decideDispatch(withExpiry(0, ago(1)))).toMatchObject({ kind: 'hold', reason: 'expired' });
    // Handed out before its due time (a clock a little ahead): not expired.
    expect(decideDispatch(withExpiry(60, later(30 * S))).kind).toBe('dial');
  });

  it('messages are not paced, but are checked against the list and expiry', () => {
    expect(decideDispatch(base({ channel: 'whatsapp', pacing: 'all_limits' }))).toEqual({ kind: 'dial' });
    expect(decideDispatch(base({ channel: 'whatsapp', doNotContact: true }))).toEqual({ kind: 'cancel', reason: 'do_not_contact' });
    expect(decideDispatch(base({ channel: 'whatsapp', staleness: 'expired' }))).toEqual({ kind: 'hold', until: NEXT_OPENING, reason: 'expired' });
  });

  it('the concurrency retry delay is a setting', () => {
    expect(decideDispatch(base({ pacing: 'campaign_full' }), { concurrencyRetryMs: 250 })).toEqual({
      kind: 'hold',
      until: later(250),
      reason: 'concurrency_limit',
    });
    expect(() => decideDispatch(base(), { concurrencyRetryMs: 0 })).toThrow(RangeError);
    expect(() => decideDispatch(base(), { concurrencyRetryMs: Number.NaN })).toThrow(RangeError);
  });

  it('a job ahead of its row is retried even when the row is finished or unpromoted', () => {
    for (const state of ['pending', 'claimed', 'finished'] as const) {
      for (const promoted of [true, false]) {
        expect(decideDispatch(base({ work: { state, standing: 'job_ahead', promoted } }))).toEqual({
          kind: 'retry',
          reason: 'promotion_not_committed',
        });
      }
    }
  });

  it('rejects invalid dates', () => {
    expect(() => decideDispatch({ ...base(), now: new Date(Number.NaN) })).toThrow(RangeError);
  });
});

describe('decideDispatch properties', () => {
  const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/Santiago'] as const;

  const snapshots: fc.Arbitrary<DispatchSnapshot> = fc
    .record({
      now: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
      channel: fc.constantFrom<Channel>('call', 'whatsapp'),
      jobPromotion: fc.integer({ min: 1, max: 5 }),
      work: fc.option(
        fc.record({
          state: fc.constantFrom<WorkState>('pending', 'pending', 'claimed', 'finished'),
          promotionDelta: fc.constantFrom(-1, 0, 0, 0, 1),
          promoted: fc.boolean(),
          dueOffsetMinutes: fc.integer({ min: -200, max: 5 }),
        }),
        { nil: null, freq: 8 },
      ),
      status: fc.constantFrom<CampaignStatus>('running', 'running', 'running', 'draft', 'paused', 'done'),
      dispatchExpiryMinutes: fc.integer({ min: 0, max: 120 }),
      maxCallsPerMinute: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
      maxConcurrentCalls: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }),
      zone: fc.constantFrom(...zones),
      blackoutDays: fc.uniqueArray(fc.integer({ min: -1, max: 10 }), { maxLength: 4 }),
      doNotContact: fc.boolean(),
      recentDialSeconds: fc.array(fc.integer({ min: -90, max: 0 }), { maxLength: 8 }),
      campaignActiveCalls: fc.integer({ min: 0, max: 6 }),
      organizationActiveCalls: fc.integer({ min: 0, max: 12 }),
      organizationMaxConcurrentCalls: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }),
    })
    .map((r): DispatchSnapshot => {
      const local = DateTime.fromMillis(r.now, { zone: r.zone });
      const blackoutDates = r.blackoutDays.map((k) => DateTime.utc(local.year, local.month, local.day).plus({ days: k }).toISODate() ?? '');
      return {
        now: new Date(r.now),
        channel: r.channel,
        jobPromotion: r.jobPromotion,
        work:
          r.work === null
            ? null
            : {
                state: r.work.state,
                promotion: r.jobPromotion - r.work.promotionDelta,
                promoted: r.work.promoted,
                dueAt: new Date(r.now + r.work.dueOffsetMinutes * MIN),
              },
        campaign: {
          status: r.status,
          dispatchExpiryMinutes: r.dispatchExpiryMinutes,
          maxCallsPerMinute: r.maxCallsPerMinute,
          maxConcurrentCalls: r.maxConcurrentCalls,
          window: { ...DEFAULT_CALL_WINDOW, blackoutDates: [...blackoutDates].sort() },
          startsAt: null,
          endsAt: null,
        },
        target: { zone: r.zone, doNotContact: r.doNotContact },
        contact: { caps: [], dials: [] },
        pacing: {
          recentDials: r.recentDialSeconds.map((sec) => new Date(r.now + sec * S)),
          campaignActiveCalls: r.campaignActiveCalls,
          organizationActiveCalls: r.organizationActiveCalls,
          organizationMaxConcurrentCalls: r.organizationMaxConcurrentCalls,
        },
      };
    });

  /** The limits, counted straight from the snapshot. */
  function limitsReached(s: DispatchSnapshot): boolean {
    const nowMs = s.now.getTime();
    const dialsInMinute = s.pacing.recentDials.filter((d) => d.getTime() > nowMs - WINDOW && d.getTime() <= nowMs).length;
    return (
      (s.campaign.maxConcurrentCalls !== null && s.pacing.campaignActiveCalls >= s.campaign.maxConcurrentCalls) ||
      (s.pacing.organizationMaxConcurrentCalls !== null && s.pacing.organizationActiveCalls >= s.pacing.organizationMaxConcurrentCalls) ||
      (s.campaign.maxCallsPerMinute !== null && dialsInMinute >= s.campaign.maxCallsPerMinute)
    );
  }

  const expired = (s: DispatchSnapshot) => s.work !== null && s.now.getTime() - s.work.dueAt.getTime() > s.campaign.dispatchExpiryMinutes * MIN;

  it('new contact happens only for current, pending work of a running campaign, an unlisted target, on time and within the limits', () => {
    fc.assert(
      fc.property(snapshots, (s) => {
        const decision = decideDispatch(s);
        const fresh = s.work !== null && s.work.state === 'pending' && s.work.promoted && s.jobPromotion === s.work.promotion;
        const allowed = s.campaign.status === 'running' && !s.target.doNotContact && !expired(s) && (s.channel === 'whatsapp' || !limitsReached(s));
        if (fresh) expect(decision.kind === 'dial').toBe(allowed);
        if (decision.kind === 'dial') {
          expect(s.work).not.toBeNull();
          expect(s.work?.promotion).toBe(s.jobPromotion);
          expect(s.work?.promoted).toBe(true);
          // The only dial that skips the checks is the redelivery of a claim.
          if (s.work?.state !== 'claimed') expect(fresh && allowed).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('retries exactly the jobs ahead of their row; drops gone, finished and stale work', () => {
    fc.assert(
      fc.property(snapshots, (s) => {
        const decision = decideDispatch(s);
        expect(decision.kind === 'retry').toBe(s.work !== null && s.jobPromotion > s.work.promotion);
        const dropped =
          s.work === null || (s.jobPromotion <= s.work.promotion && (s.jobPromotion < s.work.promotion || !s.work.promoted || s.work.state === 'finished'));
        expect(decision.kind === 'drop').toBe(dropped);
      }),
      { numRuns: 1000 },
    );
  });

  it('cancels only a listed target’s pending work in a running campaign', () => {
    fc.assert(
      fc.property(snapshots, (s) => {
        const decision = decideDispatch(s);
        if (decision.kind !== 'cancel') return;
        expect(s.target.doNotContact).toBe(true);
        expect(s.campaign.status).toBe('running');
        expect(s.work?.state).toBe('pending');
      }),
      { numRuns: 1000 },
    );
  });

  it('holds say until when: never for a stopped campaign, later than now otherwise; messages are never paced', () => {
    fc.assert(
      fc.property(snapshots, (s) => {
        const decision = decideDispatch(s);
        if (decision.kind !== 'hold') return;
        const nowMs = s.now.getTime();
        if (decision.reason === 'campaign_not_running') {
          expect(s.campaign.status).not.toBe('running');
          expect(decision.until).toBeNull();
          return;
        }
        expect(decision.until).not.toBeNull();
        const until = decision.until?.getTime() ?? Number.NaN;
        expect(until).toBeGreaterThan(nowMs);
        if (decision.reason === 'expired') {
          expect(expired(s)).toBe(true);
          // The start of a window interval: inside, and the millisecond before is not.
          expect(isInsideWindow(new Date(until), s.campaign.window, s.target.zone)).toBe(true);
          expect(isInsideWindow(new Date(until - 1), s.campaign.window, s.target.zone)).toBe(false);
        } else {
          expect(s.channel).toBe('call');
          expect(limitsReached(s)).toBe(true);
        }
        if (decision.reason === 'rate_limit') {
          // At `until` the window has room again.
          const inMinute = s.pacing.recentDials.filter((d) => d.getTime() > until - WINDOW && d.getTime() <= until).length;
          expect(inMinute).toBeLessThan(s.campaign.maxCallsPerMinute ?? Number.POSITIVE_INFINITY);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('is pure: the same snapshot gives the same decision and is left as it was', () => {
    fc.assert(
      fc.property(snapshots, (s) => {
        const before = structuredClone(s);
        expect(decideDispatch(s)).toEqual(decideDispatch(s));
        expect(s).toEqual(before);
      }),
      { numRuns: 300 },
    );
  });
});

describe('decideDispatch: contact caps', () => {
  const base = (contact: DispatchSnapshot['contact'], channel: Channel = 'call', pacing: Pacing = 'free'): DispatchSnapshot => ({
    ...snapshotOf({
      channel,
      work: { state: 'pending', standing: 'same', promoted: true },
      status: 'running',
      doNotContact: false,
      staleness: 'fresh',
      pacing,
    }),
    contact,
  });
  const HOUR = 60 * MIN;

  it('holds a call whose number reached a cap until the cap frees, moved into the window', () => {
    // One call in 6 hours, dialed an hour ago: free at 17:00 Berlin, inside the window.
    expect(decideDispatch(base({ caps: [{ hours: 6, max: 1 }], dials: [ago(HOUR)] }))).toEqual({ kind: 'hold', until: later(5 * HOUR), reason: 'contact_cap' });
    // Free at 21:00 Berlin, after the window closes: the next opening.
    expect(decideDispatch(base({ caps: [{ hours: 12, max: 1 }], dials: [ago(HOUR)] }))).toEqual({ kind: 'hold', until: NEXT_OPENING, reason: 'contact_cap' });
  });

  it('dials while every cap allows it, and never holds a message', () => {
    expect(decideDispatch(base({ caps: [{ hours: 24, max: 2 }], dials: [ago(HOUR)] }))).toEqual({ kind: 'dial' });
    expect(decideDispatch(base({ caps: [{ hours: 24, max: 1 }], dials: [ago(HOUR)] }, 'whatsapp'))).toEqual({ kind: 'dial' });
  });

  it('comes after the do-not-contact list and before the pacing limits', () => {
    const full = { caps: [{ hours: 8, max: 1 }], dials: [ago(HOUR)] };
    expect(decideDispatch({ ...base(full), target: { zone: ZONE, doNotContact: true } })).toEqual({ kind: 'cancel', reason: 'do_not_contact' });
    expect(decideDispatch(base(full, 'call', 'all_limits'))).toMatchObject({ kind: 'hold', reason: 'contact_cap' });
  });
});

describe('decideDispatch: the campaign schedule', () => {
  const base = (schedule: { startsAt: Date | null; endsAt: Date | null }, channel: Channel = 'call'): DispatchSnapshot => {
    const snapshot = snapshotOf({
      channel,
      work: { state: 'pending', standing: 'same', promoted: true },
      status: 'running',
      doNotContact: false,
      staleness: 'fresh',
      pacing: 'free',
    });
    return { ...snapshot, campaign: { ...snapshot.campaign, ...schedule } };
  };

  it('holds work until starts_at, moved into the window for a call', () => {
    expect(decideDispatch(base({ startsAt: later(60 * MIN), endsAt: null }))).toEqual({ kind: 'hold', until: later(60 * MIN), reason: 'before_start' });
    // 21:00 in Berlin: the next opening of the window.
    expect(decideDispatch(base({ startsAt: later(9 * 60 * MIN), endsAt: null }))).toEqual({ kind: 'hold', until: NEXT_OPENING, reason: 'before_start' });
    expect(decideDispatch(base({ startsAt: later(9 * 60 * MIN), endsAt: null }, 'whatsapp'))).toEqual({
      kind: 'hold',
      until: later(9 * 60 * MIN),
      reason: 'before_start',
    });
  });

  it('contacts nobody once ends_at has come, and dials inside the schedule', () => {
    expect(decideDispatch(base({ startsAt: null, endsAt: NOW }))).toEqual({ kind: 'hold', until: null, reason: 'campaign_ended' });
    expect(decideDispatch(base({ startsAt: ago(MIN), endsAt: later(MIN) }))).toEqual({ kind: 'dial' });
  });
});

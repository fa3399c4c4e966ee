import fc from 'fast-check';
import { DateTime, Info } from 'luxon';
import { describe, expect, it } from 'vitest';
import { addMinutesThenWindow, effectiveZone, isInsideWindow, nextWindowMoment, nextWindowOpening } from '../../src/domain/call-window.js';
import { DEFAULT_CALL_WINDOW, type CallWindow } from '../../src/domain/working-hours.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

// Chosen for the ways wall clocks misbehave: DST in both hemispheres, 30/45-minute offsets (and a
// 30-minute DST shift on Lord Howe), transitions at midnight (Santiago, Havana, Beirut, São Paulo
// until 2019, Asunción, Tehran until 2022), a skipped calendar day (Apia 2011-12-30), Ramadan DST
// suspensions (Casablanca), a 2-hour shift (Troll) and Dublin's "negative DST".
const ZONES = [
  'UTC',
  'America/New_York',
  'America/Los_Angeles',
  'Europe/London',
  'Europe/Berlin',
  'Europe/Dublin',
  'Australia/Sydney',
  'Australia/Adelaide',
  'Australia/Lord_Howe',
  'Pacific/Auckland',
  'Pacific/Chatham',
  'Pacific/Apia',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'America/St_Johns',
  'America/Santiago',
  'America/Havana',
  'America/Sao_Paulo',
  'America/Asuncion',
  'Asia/Beirut',
  'Asia/Tehran',
  'Africa/Casablanca',
  'Antarctica/Troll',
] as const;

const RANGE_START = Date.UTC(2005, 0, 1);
const RANGE_END = Date.UTC(2040, 0, 1);

function offsetAt(ms: number, zone: string): number {
  return DateTime.fromMillis(ms, { zone }).offset;
}

/** Every instant in (from, to] at which the zone's UTC offset changes, found by probing and bisecting. */
function offsetChanges(zone: string, from: number, to: number, probeMs: number): number[] {
  const changes: number[] = [];
  let before = from;
  let beforeOffset = offsetAt(from, zone);
  while (before < to) {
    const probe = Math.min(before + probeMs, to);
    if (offsetAt(probe, zone) === beforeOffset) {
      before = probe;
      continue;
    }
    let lo = before;
    let hi = probe;
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (offsetAt(mid, zone) === beforeOffset) lo = mid;
      else hi = mid;
    }
    changes.push(hi);
    before = hi;
    beforeOffset = offsetAt(hi, zone);
  }
  return changes;
}

// Only used to bias samples towards transitions, so a coarse weekly probe is enough here.
const TRANSITIONS = new Map<string, number[]>(ZONES.map((zone) => [zone, offsetChanges(zone, RANGE_START, RANGE_END, 7 * DAY_MS)]));

interface Case {
  zone: string;
  due: number;
  startSec: number;
  endSec: number;
  weekdays: number[];
  /** Local dates (YYYY-MM-DD) in the case's zone. */
  blackout: string[];
}

function hms(totalSeconds: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}`;
}

function windowOf(c: Case): CallWindow {
  return { start: hms(c.startSec), end: hms(c.endSec), weekdays: c.weekdays, blackoutDates: [...c.blackout].sort() };
}

/** The local calendar date of an instant, `plusDays` later. */
function localDate(ms: number, zone: string, plusDays = 0): string {
  const local = DateTime.fromMillis(ms, { zone });
  return DateTime.utc(local.year, local.month, local.day).plus({ days: plusDays }).toISODate() ?? '';
}

/** The spec's definition, read straight off luxon's wall clock for the instant. */
function oracleInside(ms: number, c: Case): boolean {
  const local = DateTime.fromJSDate(new Date(ms), { zone: c.zone });
  const timeOfDayMs = ((local.hour * 60 + local.minute) * 60 + local.second) * 1000 + local.millisecond;
  return (
    c.weekdays.includes(local.weekday) && !c.blackout.includes(local.toISODate() ?? '') && timeOfDayMs >= c.startSec * 1000 && timeOfDayMs < c.endSec * 1000
  );
}

/**
 * Instants in (from, to) whose wall-clock reading is exactly the window start on some day. Each
 * offset in force during the interval is tried for each local day, and kept only where that offset
 * really applies, so both readings of a repeated (fall-back) time are found and none from a gap.
 */
function windowStartInstants(c: Case, from: number, to: number, offsets: number[]): number[] {
  const first = DateTime.fromMillis(from, { zone: c.zone });
  const last = DateTime.fromMillis(to, { zone: c.zone });
  let day = DateTime.utc(first.year, first.month, first.day).minus({ days: 1 });
  const lastDay = DateTime.utc(last.year, last.month, last.day).plus({ days: 1 });
  const found: number[] = [];
  for (; day <= lastDay; day = day.plus({ days: 1 })) {
    for (const offset of offsets) {
      const instant = day.toMillis() + c.startSec * 1000 - offset * 60_000;
      if (instant > from && instant < to && offsetAt(instant, c.zone) === offset) found.push(instant);
    }
  }
  return found;
}

/**
 * Property (c): nothing in [due, result) is inside. Going forward in time, "inside" can only turn
 * from false to true where the wall clock reaches the window start on an allowed day (midnight,
 * where a blackout date ends, counts only when the window starts at 00:00, which is the same case),
 * or where the wall clock jumps, i.e. at a UTC-offset change. Between those points the reading moves continuously and so
 * cannot enter [start, end) without passing start. Hence the first inside instant of any interval
 * is its left end, an offset change or a window-start reading, and checking exactly those is
 * exhaustive at millisecond precision, whatever the interval's length. The offset changes are found
 * with an hourly probe (the implementation probes 6-hourly, so the two do not share a blind spot),
 * and short intervals are additionally walked minute by minute as a brute-force cross-check.
 */
function firstInsideBefore(c: Case, due: number, result: number): number | null {
  if (result <= due) return null;
  const inside = flipCandidates(c, due, result)
    .filter((t) => oracleInside(t, c))
    .sort((a, b) => a - b);
  return inside[0] ?? null;
}

/**
 * `from` and every instant in (from, to) at which "inside" can turn from false to true (see
 * firstInsideBefore), plus a minute grid over short intervals as a brute-force cross-check.
 */
function flipCandidates(c: Case, from: number, to: number): number[] {
  const changes = offsetChanges(c.zone, from, to, HOUR_MS).filter((t) => t < to);
  const offsets = [...new Set([offsetAt(from, c.zone), ...changes.map((t) => offsetAt(t, c.zone))])];
  const points = [from, ...changes, ...windowStartInstants(c, from, to, offsets)];
  if (to - from <= 12 * HOUR_MS) {
    for (let t = from + 60_000; t < to; t += 60_000) points.push(t);
  }
  return points;
}

/**
 * An opening is an inside instant whose preceding millisecond is outside: a point where "inside"
 * turns from false to true, so searching the flip candidates in (after, result) is exhaustive.
 * Over short intervals a minute grid cross-checks: inside at t but not a minute earlier means an
 * opening in (t − 1 min, t].
 */
function firstOpeningBetween(c: Case, after: number, result: number): number | null {
  if (result <= after) return null;
  const found = flipCandidates(c, after, result).filter((t) => t > after && oracleInside(t, c) && !oracleInside(t - 1, c));
  if (result - after <= 12 * HOUR_MS) {
    for (let t = after + 60_000; t < result; t += 60_000) {
      if (oracleInside(t, c) && !oracleInside(t - 60_000, c)) found.push(t);
    }
  }
  return found.length === 0 ? null : Math.min(...found);
}

/**
 * A search over [from, to) for intervals of years: an inside instant lies on an allowed local date
 * that is not a blackout date, so only such dates are searched, each padded by two days on either
 * side (more than any offset jump) so that none of its instants is missed.
 */
function searchOpenDates(search: (c: Case, from: number, to: number) => number | null, c: Case, due: number, result: number): number | null {
  const found: number[] = [];
  const first = DateTime.fromMillis(due, { zone: c.zone });
  const lastDate = localDate(result, c.zone);
  for (let date = DateTime.utc(first.year, first.month, first.day); ; date = date.plus({ days: 1 })) {
    const iso = date.toISODate() ?? '';
    if (iso > lastDate) break;
    if (!c.weekdays.includes(date.weekday) || c.blackout.includes(iso)) continue;
    const from = Math.max(due, date.toMillis() - 2 * DAY_MS);
    const to = Math.min(result, date.toMillis() + 2 * DAY_MS);
    const hit = search(c, from, to);
    if (hit !== null) found.push(hit);
  }
  return found.length === 0 ? null : Math.min(...found);
}

const timeOfDayArb = fc.oneof(
  fc.integer({ min: 0, max: 86_399 }),
  fc.integer({ min: 0, max: 1_439 }).map((m) => m * 60),
  // DST transitions sit on whole or half hours, so quarter hours hit gaps and overlaps often.
  fc.integer({ min: 0, max: 95 }).map((q) => q * 900),
);

const windowTimesArb: fc.Arbitrary<[number, number]> = fc.oneof(
  fc
    .tuple(timeOfDayArb, timeOfDayArb)
    .filter(([a, b]) => a !== b)
    .map(([a, b]): [number, number] => [Math.min(a, b), Math.max(a, b)]),
  fc
    .tuple(timeOfDayArb, fc.constantFrom(1, 60, 900))
    .filter(([start, width]) => start + width <= 86_399)
    .map(([start, width]): [number, number] => [start, start + width]),
  fc.constant<[number, number]>([0, 86_399]),
);

const weekdaysArb = fc.oneof(
  fc.subarray([1, 2, 3, 4, 5, 6, 7], { minLength: 1 }),
  fc.integer({ min: 1, max: 7 }).map((d) => [d]),
);

function secondOfDay(ms: number, zone: string): number {
  const local = DateTime.fromMillis(ms, { zone });
  return (local.hour * 60 + local.minute) * 60 + local.second;
}

/** Windows that start or end in, just before or just after the wall-clock jump at `transition`. */
function windowTimesAround(zone: string, transition: number): fc.Arbitrary<[number, number]> {
  const before = Math.floor(secondOfDay(transition - 1, zone) / 60) * 60;
  const after = secondOfDay(transition, zone);
  return fc
    .tuple(fc.constantFrom(before, after), fc.integer({ min: -4, max: 4 }), fc.constantFrom(60, 900, 1800, 3600, 5400))
    .map(([base, quarters, width]): [number, number] => {
      const start = Math.min(Math.max(base + quarters * 900, 0), 86_398);
      return [start, Math.min(start + width, 86_399)];
    });
}

/** The first `count` local dates from the due date on that fall on an allowed weekday. */
function allowedDatesFrom(c: Case, count: number): string[] {
  const dates: string[] = [];
  for (let k = 0; dates.length < count; k++) {
    const date = localDate(c.due, c.zone, k);
    if (c.weekdays.includes(DateTime.fromISO(date, { zone: 'utc' }).weekday)) dates.push(date);
  }
  return dates;
}

/**
 * Blackout dates where they matter: none; scattered around the due date; a run of days from it;
 * the next allowed days (so the result must move on by weeks); the local dates on either side of
 * an offset change (`anchors`).
 */
function blackoutArb(c: Case, anchors: number[]): fc.Arbitrary<Case> {
  const anchorDates = [...new Set(anchors.flatMap((t) => [localDate(t, c.zone), localDate(t, c.zone, 1)]))];
  const options: Array<fc.WeightedArbitrary<string[]>> = [
    { arbitrary: fc.constant([]), weight: 2 },
    {
      arbitrary: fc.uniqueArray(fc.integer({ min: -2, max: 21 }), { minLength: 1, maxLength: 8 }).map((days) => days.map((k) => localDate(c.due, c.zone, k))),
      weight: 3,
    },
    {
      arbitrary: fc
        .tuple(fc.integer({ min: -1, max: 3 }), fc.integer({ min: 1, max: 45 }))
        .map(([from, length]) => Array.from({ length }, (_, k) => localDate(c.due, c.zone, from + k))),
      weight: 2,
    },
    { arbitrary: fc.integer({ min: 1, max: 6 }).map((count) => allowedDatesFrom(c, count)), weight: 2 },
  ];
  if (anchorDates.length > 0) options.push({ arbitrary: fc.subarray(anchorDates, { minLength: 1 }), weight: 2 });
  return fc.oneof(...options).map((blackout) => ({ ...c, blackout }));
}

function caseArb(timesFor: (zone: string, transition: number) => fc.Arbitrary<[number, number]>): fc.Arbitrary<Case> {
  return fc.constantFrom(...ZONES).chain((zone) => {
    const uniform = fc
      .record({
        due: fc.integer({ min: RANGE_START, max: RANGE_END }),
        times: windowTimesArb,
        weekdays: weekdaysArb,
      })
      .map(({ due, times, weekdays }) => ({ zone, due, startSec: times[0], endSec: times[1], weekdays, blackout: [] }))
      .chain((c) => blackoutArb(c, []));
    const transitions = TRANSITIONS.get(zone) ?? [];
    if (transitions.length === 0) return uniform;
    const near = fc.constantFrom(...transitions).chain((transition) => {
      const weekdayBefore = DateTime.fromMillis(transition - 1, { zone }).weekday;
      const weekdayAfter = DateTime.fromMillis(transition, { zone }).weekday;
      return fc
        .record({
          due: fc.oneof(
            fc.integer({ min: transition - 3 * HOUR_MS, max: transition + 3 * HOUR_MS }),
            fc.integer({ min: transition - 8 * DAY_MS, max: transition + DAY_MS }),
          ),
          times: fc.oneof(windowTimesArb, timesFor(zone, transition)),
          weekdays: fc.oneof(
            weekdaysArb,
            fc.constantFrom(weekdayBefore, weekdayAfter).map((d) => [d]),
          ),
        })
        .map(({ due, times, weekdays }) => ({ zone, due, startSec: times[0], endSec: times[1], weekdays, blackout: [] }))
        .chain((c) => blackoutArb(c, [transition - 1, transition]));
    });
    return fc.oneof({ arbitrary: uniform, weight: 1 }, { arbitrary: near, weight: 2 });
  });
}

/**
 * Moves due onto the window's start or end reading of its own local day, give or take a
 * millisecond, where an off-by-one in either bound would show. In a gap the reading does not exist
 * and the instant lands an hour off, which is just another sample.
 */
function snapToBoundary(c: Case, which: 'start' | 'end', nudgeMs: number): Case {
  const local = DateTime.fromMillis(c.due, { zone: c.zone });
  const midnight = DateTime.utc(local.year, local.month, local.day).toMillis();
  const wall = midnight + (which === 'start' ? c.startSec : c.endSec) * 1000;
  return { ...c, due: wall - local.offset * 60_000 + nudgeMs };
}

const cases: fc.Arbitrary<Case> = fc.oneof(
  { arbitrary: caseArb(windowTimesAround), weight: 3 },
  {
    arbitrary: fc
      .tuple(caseArb(windowTimesAround), fc.constantFrom('start' as const, 'end' as const), fc.constantFrom(-1, 0, 1))
      .map(([c, which, nudge]) => snapToBoundary(c, which, nudge)),
    weight: 1,
  },
);

describe('nextWindowMoment properties', () => {
  it('lands inside the window, not before due, skips nothing, and is idempotent', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const window = windowOf(c);
        const result = nextWindowMoment(new Date(c.due), window, c.zone).getTime();
        expect(oracleInside(result, c)).toBe(true);
        expect(c.blackout).not.toContain(localDate(result, c.zone));
        expect(result).toBeGreaterThanOrEqual(c.due);
        expect(firstInsideBefore(c, c.due, result)).toBeNull();
        expect(nextWindowMoment(new Date(result), window, c.zone).getTime()).toBe(result);
      }),
      { numRuns: 1000 },
    );
  });

  it('isInsideWindow agrees with the wall-clock reading, and inside due times are kept as they are', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const window = windowOf(c);
        const inside = oracleInside(c.due, c);
        expect(isInsideWindow(new Date(c.due), window, c.zone)).toBe(inside);
        if (inside) expect(nextWindowMoment(new Date(c.due), window, c.zone).getTime()).toBe(c.due);
      }),
      { numRuns: 1000 },
    );
  });

  it('addMinutesThenWindow is the window applied after the delay', () => {
    fc.assert(
      fc.property(cases, fc.integer({ min: 0, max: 7 * 24 * 60 }), (c, minutes) => {
        const window = windowOf(c);
        expect(addMinutesThenWindow(new Date(c.due), minutes, window, c.zone).getTime()).toBe(
          nextWindowMoment(new Date(c.due + minutes * 60_000), window, c.zone).getTime(),
        );
      }),
      { numRuns: 300 },
    );
  });
});

/** `count` consecutive local dates from `first` (YYYY-MM-DD), `stepDays` apart. */
function datesFrom(first: string, count: number, stepDays = 1): string[] {
  const start = DateTime.fromISO(first, { zone: 'utc' });
  return Array.from({ length: count }, (_, k) => start.plus({ days: k * stepDays }).toISODate() ?? '');
}

describe('nextWindowMoment with the longest blackout lists (366 dates)', () => {
  const longRuns: fc.Arbitrary<Case> = fc
    .record({
      zone: fc.constantFrom(...ZONES),
      due: fc.integer({ min: RANGE_START, max: Date.UTC(2030, 0, 1) }),
      times: windowTimesArb,
      weekdays: weekdaysArb,
      kind: fc.constantFrom('consecutive', 'allowed_days', 'scattered'),
      shift: fc.integer({ min: -1, max: 2 }),
      scatter: fc.uniqueArray(fc.integer({ min: -10, max: 730 }), { minLength: 366, maxLength: 366 }),
    })
    .map(({ zone, due, times, weekdays, kind, shift, scatter }) => {
      const c: Case = { zone, due, startSec: times[0], endSec: times[1], weekdays, blackout: [] };
      if (kind === 'consecutive') return { ...c, blackout: datesFrom(localDate(due, zone, shift), 366) };
      if (kind === 'allowed_days') return { ...c, blackout: allowedDatesFrom(c, 366) };
      return { ...c, blackout: scatter.map((k) => localDate(due, zone, k)) };
    });

  it('never throws, lands inside on an open date, skips nothing, and is idempotent', () => {
    fc.assert(
      fc.property(longRuns, (c) => {
        const window = windowOf(c);
        const result = nextWindowMoment(new Date(c.due), window, c.zone).getTime();
        expect(oracleInside(result, c)).toBe(true);
        expect(c.blackout).not.toContain(localDate(result, c.zone));
        expect(result).toBeGreaterThanOrEqual(c.due);
        expect(searchOpenDates(firstInsideBefore, c, c.due, result)).toBeNull();
        expect(nextWindowMoment(new Date(result), window, c.zone).getTime()).toBe(result);
      }),
      { numRuns: 60 },
    );
  });

  it('nextWindowOpening never throws and finds the first opening after due', () => {
    fc.assert(
      fc.property(longRuns, (c) => {
        const opening = nextWindowOpening(new Date(c.due), windowOf(c), c.zone).getTime();
        expect(opening).toBeGreaterThan(c.due);
        expect(oracleInside(opening, c)).toBe(true);
        expect(oracleInside(opening - 1, c)).toBe(false);
        expect(searchOpenDates(firstOpeningBetween, c, c.due, opening)).toBeNull();
      }),
      { numRuns: 30 },
    );
  });
});

describe('nextWindowOpening properties', () => {
  it('opens an interval strictly after `after`, and no interval opens in between', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const window = windowOf(c);
        const opening = nextWindowOpening(new Date(c.due), window, c.zone).getTime();
        expect(opening).toBeGreaterThan(c.due);
        expect(oracleInside(opening, c)).toBe(true);
        expect(oracleInside(opening - 1, c)).toBe(false);
        expect(firstOpeningBetween(c, c.due, opening)).toBeNull();
        // From outside, the next opening is the next inside moment.
        if (!oracleInside(c.due, c)) expect(opening).toBe(nextWindowMoment(new Date(c.due), window, c.zone).getTime());
      }),
      { numRuns: 600 },
    );
  });
});

describe('nextWindowOpening examples', () => {
  const everyDay = [1, 2, 3, 4, 5, 6, 7];
  const berlin = (iso: string) => nextWindowOpening(new Date(iso), DEFAULT_CALL_WINDOW, 'Europe/Berlin').toISOString();
  const at = (iso: string) => new Date(iso).toISOString();

  it.each([
    ['inside on a Monday: the Tuesday’s start, not now', '2024-06-10T10:00:00+02:00', '2024-06-11T09:00:00+02:00'],
    ['exactly at a start: the next day’s start', '2024-06-10T09:00:00+02:00', '2024-06-11T09:00:00+02:00'],
    ['a millisecond before a start: that start', '2024-06-10T08:59:59.999+02:00', '2024-06-10T09:00:00+02:00'],
    ['the last inside millisecond', '2024-06-10T18:59:59.999+02:00', '2024-06-11T09:00:00+02:00'],
    ['at the end (outside)', '2024-06-10T19:00:00+02:00', '2024-06-11T09:00:00+02:00'],
    ['inside on a Friday: the Monday', '2024-06-14T10:00:00+02:00', '2024-06-17T09:00:00+02:00'],
    ['on a Saturday: the Monday', '2024-06-15T14:00:00+02:00', '2024-06-17T09:00:00+02:00'],
  ])('%s', (_name, after, expected) => {
    expect(berlin(after)).toBe(at(expected));
  });

  it('skips blackout dates', () => {
    const window: CallWindow = { ...DEFAULT_CALL_WINDOW, blackoutDates: ['2024-06-11'] };
    expect(nextWindowOpening(new Date('2024-06-10T10:00:00+02:00'), window, 'Europe/Berlin').toISOString()).toBe(at('2024-06-12T09:00:00+02:00'));
  });

  it('a window open all day but its last second opens at each midnight', () => {
    const window: CallWindow = { start: '00:00:00', end: '23:59:59', weekdays: everyDay, blackoutDates: [] };
    expect(nextWindowOpening(new Date('2024-06-10T12:00:00Z'), window, 'UTC').toISOString()).toBe('2024-06-11T00:00:00.000Z');
    // America/Santiago has no Sunday 2024-09-08 00:00: that day opens at 01:00, just after the jump.
    expect(nextWindowOpening(new Date('2024-09-07T12:00:00-04:00'), window, 'America/Santiago').toISOString()).toBe(at('2024-09-08T01:00:00-03:00'));
  });

  it('on a US fall-back day, the repeated reading of the window opens a second interval', () => {
    const zone = 'America/New_York';
    const window: CallWindow = { start: '01:00:00', end: '01:30:00', weekdays: everyDay, blackoutDates: [] };
    expect(nextWindowOpening(new Date('2024-11-03T01:10:00-04:00'), window, zone).toISOString()).toBe(at('2024-11-03T01:00:00-05:00'));
    expect(nextWindowOpening(new Date('2024-11-03T01:10:00-05:00'), window, zone).toISOString()).toBe(at('2024-11-04T01:00:00-05:00'));
  });

  it('an interval that the fall-back hour carries on is one interval', () => {
    const window: CallWindow = { start: '00:30:00', end: '03:00:00', weekdays: everyDay, blackoutDates: [] };
    // From 01:45 EDT the clocks run to 02:00, fall back to 01:00 EST and run on to 03:00 EST, all inside.
    expect(nextWindowOpening(new Date('2024-11-03T01:45:00-04:00'), window, 'America/New_York').toISOString()).toBe(at('2024-11-04T00:30:00-05:00'));
  });

  it('on a US spring-forward day, a window starting in the gap opens at the jump', () => {
    const window: CallWindow = { start: '02:00:00', end: '03:30:00', weekdays: everyDay, blackoutDates: [] };
    expect(nextWindowOpening(new Date('2024-03-09T02:30:00-05:00'), window, 'America/New_York').toISOString()).toBe(at('2024-03-10T03:00:00-04:00'));
  });

  it('handles the 45-minute offset of Asia/Kathmandu', () => {
    expect(nextWindowOpening(new Date('2024-06-10T03:15:00Z'), DEFAULT_CALL_WINDOW, 'Asia/Kathmandu').toISOString()).toBe('2024-06-11T03:15:00.000Z');
  });

  it('rejects input that has no meaning', () => {
    expect(() => nextWindowOpening(new Date(Number.NaN), DEFAULT_CALL_WINDOW, 'UTC')).toThrow(RangeError);
    expect(() => nextWindowOpening(new Date(), DEFAULT_CALL_WINDOW, 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});

describe('blackout dates', () => {
  const everyDay = [1, 2, 3, 4, 5, 6, 7];
  const allDay = (blackoutDates: string[]): CallWindow => ({ start: '00:00:00', end: '23:59:59', weekdays: everyDay, blackoutDates });

  it('moves a due time off the blackout dates to the next open day’s window', () => {
    const window: CallWindow = { ...DEFAULT_CALL_WINDOW, blackoutDates: ['2024-12-24', '2024-12-25', '2024-12-26'] };
    const monday = new Date('2024-12-23T10:00:00+01:00');
    expect(nextWindowMoment(monday, window, 'Europe/Berlin').getTime()).toBe(monday.getTime());
    expect(nextWindowMoment(new Date('2024-12-23T19:30:00+01:00'), window, 'Europe/Berlin').toISOString()).toBe(
      new Date('2024-12-27T09:00:00+01:00').toISOString(),
    );
    expect(nextWindowMoment(new Date('2024-12-25T11:00:00+01:00'), window, 'Europe/Berlin').toISOString()).toBe(
      new Date('2024-12-27T09:00:00+01:00').toISOString(),
    );
    // The Friday after is open; the weekend that follows is outside by weekday.
    expect(addMinutesThenWindow(new Date('2024-12-23T18:30:00+01:00'), 60, window, 'Europe/Berlin').toISOString()).toBe(
      new Date('2024-12-27T09:00:00+01:00').toISOString(),
    );
  });

  it('reads a blackout date in the zone the window is read in', () => {
    const window = allDay(['2024-06-11']);
    const due = new Date('2024-06-10T23:30:00Z'); // Monday 19:30 in New York, Tuesday 08:30 in Tokyo
    expect(isInsideWindow(due, window, 'America/New_York')).toBe(true);
    expect(nextWindowMoment(due, window, 'America/New_York').getTime()).toBe(due.getTime());
    expect(isInsideWindow(due, window, 'Asia/Tokyo')).toBe(false);
    expect(nextWindowMoment(due, window, 'Asia/Tokyo').toISOString()).toBe(new Date('2024-06-12T00:00:00+09:00').toISOString());
  });

  it('isInsideWindow is false all through a blackout date, to the millisecond at both ends', () => {
    const window = allDay(['2024-03-10']); // the US spring-forward day: 23 hours long
    const zone = 'America/New_York';
    expect(isInsideWindow(new Date('2024-03-09T23:59:58.999-05:00'), window, zone)).toBe(true);
    expect(isInsideWindow(new Date('2024-03-10T00:00:00-05:00'), window, zone)).toBe(false);
    expect(isInsideWindow(new Date('2024-03-10T12:00:00-04:00'), window, zone)).toBe(false);
    expect(isInsideWindow(new Date('2024-03-10T23:59:58.999-04:00'), window, zone)).toBe(false);
    expect(isInsideWindow(new Date('2024-03-11T00:00:00-04:00'), window, zone)).toBe(true);
    expect(nextWindowMoment(new Date('2024-03-10T00:00:00-05:00'), window, zone).toISOString()).toBe(new Date('2024-03-11T00:00:00-04:00').toISOString());
  });

  it('the day after a blackout date opens when its clocks begin, even when its midnight does not exist', () => {
    // America/Santiago jumps from Saturday 2024-09-07 24:00 to Sunday 01:00.
    const window = allDay(['2024-09-07']);
    expect(nextWindowMoment(new Date('2024-09-07T12:00:00-04:00'), window, 'America/Santiago').toISOString()).toBe(
      new Date('2024-09-08T01:00:00-03:00').toISOString(),
    );
  });

  it('an hour repeated at midnight belongs to the blackout date it repeats', () => {
    // America/Santiago falls back from Saturday 2024-04-06 24:00 to Saturday 23:00: the second
    // 23:00–24:00 is still the Saturday, so the Sunday opens an hour later than its first reading.
    const window = allDay(['2024-04-06']);
    const zone = 'America/Santiago';
    expect(isInsideWindow(new Date('2024-04-07T03:30:00Z'), window, zone)).toBe(false); // Saturday 23:30 -04:00
    expect(nextWindowMoment(new Date('2024-04-06T23:30:00-03:00'), window, zone).toISOString()).toBe('2024-04-07T04:00:00.000Z');
  });

  it('handles the 45-minute offset of Asia/Kathmandu', () => {
    const window: CallWindow = { ...DEFAULT_CALL_WINDOW, blackoutDates: ['2024-06-10'] };
    const due = new Date('2024-06-10T03:00:00Z'); // Monday 08:45 in Kathmandu
    expect(nextWindowMoment(due, window, 'Asia/Kathmandu').toISOString()).toBe('2024-06-11T03:15:00.000Z');
  });

  it('a whole year of blackout dates moves the due time past it', () => {
    const window: CallWindow = { ...DEFAULT_CALL_WINDOW, blackoutDates: datesFrom('2024-01-01', 366) };
    expect(window.blackoutDates.at(-1)).toBe('2024-12-31');
    // 2025-01-01 is a Wednesday.
    expect(nextWindowMoment(new Date('2024-01-01T10:00:00+01:00'), window, 'Europe/Berlin').toISOString()).toBe(
      new Date('2025-01-01T09:00:00+01:00').toISOString(),
    );
  });

  it('366 blacked-out Sundays, then one whose window lies in a gap: the result is seven years on', () => {
    // Sundays-only window 00:00–00:30 in America/Santiago; 2024-09-01 … 2031-08-31 are blacked
    // out and on 2031-09-07 the clocks jump from 24:00 to 01:00, so the next moment is a week later.
    const window: CallWindow = { start: '00:00:00', end: '00:30:00', weekdays: [7], blackoutDates: datesFrom('2024-09-01', 366, 7) };
    expect(window.blackoutDates.at(-1)).toBe('2031-08-31');
    expect(nextWindowMoment(new Date('2024-08-31T12:00:00-04:00'), window, 'America/Santiago').toISOString()).toBe(
      new Date('2031-09-14T00:00:00-03:00').toISOString(),
    );
  });

  it('does not cap the list at 366 dates', () => {
    const window = allDay(datesFrom('2024-01-01', 1000));
    expect(nextWindowMoment(new Date('2024-01-01T00:00:00Z'), window, 'UTC').toISOString()).toBe('2026-09-27T00:00:00.000Z');
  });

  it('a window stored before blackout dates existed has none', () => {
    const stored = { start: '09:00:00', end: '17:00:00', weekdays: [1, 2, 3, 4, 5] } as unknown as CallWindow;
    const due = new Date('2024-06-08T12:00:00Z'); // Saturday
    expect(nextWindowMoment(due, stored, 'UTC').toISOString()).toBe('2024-06-10T09:00:00.000Z');
    expect(nextWindowOpening(due, stored, 'UTC').toISOString()).toBe('2024-06-10T09:00:00.000Z');
  });

  it('rejects a blackout date that is not a calendar date', () => {
    const due = new Date('2024-06-10T12:00:00Z');
    for (const bad of ['2024-02-30', '2024-6-1', '20240601', 'tomorrow', '2023-02-29']) {
      expect(() => nextWindowMoment(due, { ...DEFAULT_CALL_WINDOW, blackoutDates: [bad] }, 'UTC')).toThrow(RangeError);
      expect(() => isInsideWindow(due, { ...DEFAULT_CALL_WINDOW, blackoutDates: [bad] }, 'UTC')).toThrow(RangeError);
    }
  });
});

describe('nextWindowMoment examples', () => {
  const everyDay = [1, 2, 3, 4, 5, 6, 7];

  it('moves a Saturday due time to Monday 09:00 local', () => {
    const due = new Date('2024-06-15T14:00:00+02:00');
    expect(nextWindowMoment(due, DEFAULT_CALL_WINDOW, 'Europe/Berlin').toISOString()).toBe(new Date('2024-06-17T09:00:00+02:00').toISOString());
  });

  it('moves a due time after the end to the next allowed day’s start', () => {
    const window: CallWindow = { start: '10:00:00', end: '18:00:00', weekdays: [1, 3, 5], blackoutDates: [] };
    // Wednesday 18:00 is already outside: the end is exclusive.
    const due = new Date('2024-06-12T18:00:00-05:00');
    expect(nextWindowMoment(due, window, 'America/Chicago').toISOString()).toBe(new Date('2024-06-14T10:00:00-05:00').toISOString());
  });

  it('keeps a due time inside the window to the millisecond', () => {
    const due = new Date('2024-06-12T12:34:56.789-05:00');
    expect(nextWindowMoment(due, DEFAULT_CALL_WINDOW, 'America/Chicago').getTime()).toBe(due.getTime());
  });

  it('on a US spring-forward day, a window starting in the gap opens when the clocks jump', () => {
    const window: CallWindow = { start: '02:00:00', end: '03:30:00', weekdays: everyDay, blackoutDates: [] };
    const due = new Date('2024-03-10T01:59:00-05:00');
    const result = nextWindowMoment(due, window, 'America/New_York');
    expect(result.toISOString()).toBe(new Date('2024-03-10T03:00:00-04:00').toISOString());
    expect(DateTime.fromJSDate(result, { zone: 'America/New_York' }).toFormat('HH:mm ZZ')).toBe('03:00 -04:00');
  });

  it('on a US fall-back day, both readings of a repeated time are inside', () => {
    const window: CallWindow = { start: '01:00:00', end: '01:30:00', weekdays: everyDay, blackoutDates: [] };
    const firstPass = new Date('2024-11-03T01:10:00-04:00');
    expect(nextWindowMoment(firstPass, window, 'America/New_York').getTime()).toBe(firstPass.getTime());
    // After the first 01:30 EDT the clocks fall back and 01:00 comes round again, 30 minutes later.
    const between = new Date('2024-11-03T01:40:00-04:00');
    expect(nextWindowMoment(between, window, 'America/New_York').toISOString()).toBe(new Date('2024-11-03T01:00:00-05:00').toISOString());
  });

  it('handles the 45-minute offset of Asia/Kathmandu', () => {
    const due = new Date('2024-06-10T03:00:00Z'); // Monday 08:45 in Kathmandu
    expect(nextWindowMoment(due, DEFAULT_CALL_WINDOW, 'Asia/Kathmandu').toISOString()).toBe('2024-06-10T03:15:00.000Z');
  });

  it('skips to the next week when the only allowed day’s window lies inside a midnight gap', () => {
    // America/Santiago jumps from Saturday 2024-09-07 24:00 to Sunday 01:00.
    const window: CallWindow = { start: '00:00:00', end: '00:30:00', weekdays: [7], blackoutDates: [] };
    const due = new Date('2024-09-07T22:00:00-04:00');
    expect(nextWindowMoment(due, window, 'America/Santiago').toISOString()).toBe(new Date('2024-09-15T00:00:00-03:00').toISOString());
    // A wider window on that Sunday still has moments after the gap, so the day is not skipped.
    const wider: CallWindow = { start: '00:00:00', end: '02:00:00', weekdays: [7], blackoutDates: [] };
    expect(nextWindowMoment(due, wider, 'America/Santiago').toISOString()).toBe(new Date('2024-09-08T01:00:00-03:00').toISOString());
  });

  it('skips a calendar day that never happened (Pacific/Apia, Friday 2011-12-30)', () => {
    const window: CallWindow = { start: '09:00:00', end: '17:00:00', weekdays: [5], blackoutDates: [] };
    const due = new Date('2011-12-29T20:00:00-10:00');
    expect(nextWindowMoment(due, window, 'Pacific/Apia').toISOString()).toBe(new Date('2012-01-06T09:00:00+14:00').toISOString());
  });

  it('reads the window in the target’s zone before the campaign’s', () => {
    const window: CallWindow = { start: '09:00:00', end: '17:00:00', weekdays: [1, 2, 3, 4, 5], blackoutDates: [] };
    const due = new Date('2024-06-10T13:00:00Z'); // 09:00 in New York, 22:00 in Tokyo
    expect(effectiveZone('Asia/Tokyo', 'America/New_York')).toBe('Asia/Tokyo');
    expect(effectiveZone(null, 'America/New_York')).toBe('America/New_York');
    expect(effectiveZone(undefined, null)).toBe('UTC');
    expect(effectiveZone('', 'Europe/Paris')).toBe('Europe/Paris');
    expect(nextWindowMoment(due, window, effectiveZone(null, 'America/New_York')).getTime()).toBe(due.getTime());
    expect(nextWindowMoment(due, window, effectiveZone('Asia/Tokyo', 'America/New_York')).toISOString()).toBe(
      new Date('2024-06-11T09:00:00+09:00').toISOString(),
    );
  });

  it('rejects input that has no next moment or no meaning', () => {
    const due = new Date('2024-06-10T12:00:00Z');
    expect(() => nextWindowMoment(due, { start: '10:00:00', end: '10:00:00', weekdays: [1], blackoutDates: [] }, 'UTC')).toThrow(RangeError);
    expect(() => nextWindowMoment(due, { ...DEFAULT_CALL_WINDOW, weekdays: [] }, 'UTC')).toThrow(RangeError);
    expect(() => nextWindowMoment(due, DEFAULT_CALL_WINDOW, 'Mars/Olympus_Mons')).toThrow(RangeError);
    expect(() => nextWindowMoment(new Date(Number.NaN), DEFAULT_CALL_WINDOW, 'UTC')).toThrow(RangeError);
  });
});

describe('test oracle sanity', () => {
  it('sees the transitions the biased samples rely on', () => {
    expect(Info.normalizeZone('America/New_York').isValid).toBe(true);
    expect(TRANSITIONS.get('America/New_York')).toContain(Date.parse('2024-03-10T07:00:00Z'));
    expect(TRANSITIONS.get('Asia/Kolkata')).toEqual([]);
  });
});

import fc from 'fast-check';
import { DateTime, Info } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  addMinutesThenWindow,
  effectiveZone,
  isInsideWindow,
  nextWindowMoment,
} from '../../src/domain/call-window.js';
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
const TRANSITIONS = new Map<string, number[]>(
  ZONES.map((zone) => [zone, offsetChanges(zone, RANGE_START, RANGE_END, 7 * DAY_MS)]),
);

interface Case {
  zone: string;
  due: number;
  startSec: number;
  endSec: number;
  weekdays: number[];
}

function hms(totalSeconds: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}`;
}

function windowOf(c: Case): CallWindow {
  return { start: hms(c.startSec), end: hms(c.endSec), weekdays: c.weekdays };
}

/** The spec's definition, read straight off luxon's wall clock for the instant. */
function oracleInside(ms: number, c: Case): boolean {
  const local = DateTime.fromJSDate(new Date(ms), { zone: c.zone });
  const timeOfDayMs = ((local.hour * 60 + local.minute) * 60 + local.second) * 1000 + local.millisecond;
  return c.weekdays.includes(local.weekday) && timeOfDayMs >= c.startSec * 1000 && timeOfDayMs < c.endSec * 1000;
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
 * from false to true where the wall clock reaches the window start on an allowed day (midnight
 * counts only when the window starts at 00:00, which is the same case), or where the wall clock
 * jumps, i.e. at a UTC-offset change. Between those points the reading moves continuously and so
 * cannot enter [start, end) without passing start. Hence the first inside instant of any interval
 * is its left end, an offset change or a window-start reading, and checking exactly those is
 * exhaustive at millisecond precision, whatever the interval's length. The offset changes are found
 * with an hourly probe (the implementation probes 6-hourly, so the two do not share a blind spot),
 * and short intervals are additionally walked minute by minute as a brute-force cross-check.
 */
function firstInsideBefore(c: Case, due: number, result: number): number | null {
  if (result <= due) return null;
  const changes = offsetChanges(c.zone, due, result, HOUR_MS).filter((t) => t < result);
  const offsets = [...new Set([offsetAt(due, c.zone), ...changes.map((t) => offsetAt(t, c.zone))])];
  const points = [due, ...changes, ...windowStartInstants(c, due, result, offsets)];
  if (result - due <= 12 * HOUR_MS) {
    for (let t = due + 60_000; t < result; t += 60_000) points.push(t);
  }
  const inside = points.filter((t) => oracleInside(t, c)).sort((a, b) => a - b);
  return inside[0] ?? null;
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

function caseArb(timesFor: (zone: string, transition: number) => fc.Arbitrary<[number, number]>): fc.Arbitrary<Case> {
  return fc.constantFrom(...ZONES).chain((zone) => {
    const uniform = fc
      .record({
        due: fc.integer({ min: RANGE_START, max: RANGE_END }),
        times: windowTimesArb,
        weekdays: weekdaysArb,
      })
      .map(({ due, times, weekdays }) => ({ zone, due, startSec: times[0], endSec: times[1], weekdays }));
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
          weekdays: fc.oneof(weekdaysArb, fc.constantFrom(weekdayBefore, weekdayAfter).map((d) => [d])),
        })
        .map(({ due, times, weekdays }) => ({ zone, due, startSec: times[0], endSec: times[1], weekdays }));
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

describe('nextWindowMoment examples', () => {
  const everyDay = [1, 2, 3, 4, 5, 6, 7];

  it('moves a Saturday due time to Monday 09:00 local', () => {
    const due = new Date('2024-06-15T14:00:00+02:00');
    expect(nextWindowMoment(due, DEFAULT_CALL_WINDOW, 'Europe/Berlin').toISOString()).toBe(
      new Date('2024-06-17T09:00:00+02:00').toISOString(),
    );
  });

  it('moves a due time after the end to the next allowed day’s start', () => {
    const window: CallWindow = { start: '10:00:00', end: '18:00:00', weekdays: [1, 3, 5] };
    // Wednesday 18:00 is already outside: the end is exclusive.
    const due = new Date('2024-06-12T18:00:00-05:00');
    expect(nextWindowMoment(due, window, 'America/Chicago').toISOString()).toBe(
      new Date('2024-06-14T10:00:00-05:00').toISOString(),
    );
  });

  it('keeps a due time inside the window to the millisecond', () => {
    const due = new Date('2024-06-12T12:34:56.789-05:00');
    expect(nextWindowMoment(due, DEFAULT_CALL_WINDOW, 'America/Chicago').getTime()).toBe(due.getTime());
  });

  it('on a US spring-forward day, a window starting in the gap opens when the clocks jump', () => {
    const window: CallWindow = { start: '02:00:00', end: '03:30:00', weekdays: everyDay };
    const due = new Date('2024-03-10T01:59:00-05:00');
    const result = nextWindowMoment(due, window, 'America/New_York');
    expect(result.toISOString()).toBe(new Date('2024-03-10T03:00:00-04:00').toISOString());
    expect(DateTime.fromJSDate(result, { zone: 'America/New_York' }).toFormat('HH:mm ZZ')).toBe('03:00 -04:00');
  });

  it('on a US fall-back day, both readings of a repeated time are inside', () => {
    const window: CallWindow = { start: '01:00:00', end: '01:30:00', weekdays: everyDay };
    const firstPass = new Date('2024-11-03T01:10:00-04:00');
    expect(nextWindowMoment(firstPass, window, 'America/New_York').getTime()).toBe(firstPass.getTime());
    // After the first 01:30 EDT the clocks fall back and 01:00 comes round again, 30 minutes later.
    const between = new Date('2024-11-03T01:40:00-04:00');
    expect(nextWindowMoment(between, window, 'America/New_York').toISOString()).toBe(
      new Date('2024-11-03T01:00:00-05:00').toISOString(),
    );
  });

  it('handles the 45-minute offset of Asia/Kathmandu', () => {
    const due = new Date('2024-06-10T03:00:00Z'); // Monday 08:45 in Kathmandu
    expect(nextWindowMoment(due, DEFAULT_CALL_WINDOW, 'Asia/Kathmandu').toISOString()).toBe('2024-06-10T03:15:00.000Z');
  });

  it('skips to the next week when the only allowed day’s window lies inside a midnight gap', () => {
    // America/Santiago jumps from Saturday 2024-09-07 24:00 to Sunday 01:00.
    const window: CallWindow = { start: '00:00:00', end: '00:30:00', weekdays: [7] };
    const due = new Date('2024-09-07T22:00:00-04:00');
    expect(nextWindowMoment(due, window, 'America/Santiago').toISOString()).toBe(
      new Date('2024-09-15T00:00:00-03:00').toISOString(),
    );
    // A wider window on that Sunday still has moments after the gap, so the day is not skipped.
    const wider: CallWindow = { start: '00:00:00', end: '02:00:00', weekdays: [7] };
    expect(nextWindowMoment(due, wider, 'America/Santiago').toISOString()).toBe(
      new Date('2024-09-08T01:00:00-03:00').toISOString(),
    );
  });

  it('skips a calendar day that never happened (Pacific/Apia, Friday 2011-12-30)', () => {
    const window: CallWindow = { start: '09:00:00', end: '17:00:00', weekdays: [5] };
    const due = new Date('2011-12-29T20:00:00-10:00');
    expect(nextWindowMoment(due, window, 'Pacific/Apia').toISOString()).toBe(
      new Date('2012-01-06T09:00:00+14:00').toISOString(),
    );
  });

  it('reads the window in the target’s zone before the campaign’s', () => {
    const window: CallWindow = { start: '09:00:00', end: '17:00:00', weekdays: [1, 2, 3, 4, 5] };
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
    expect(() => nextWindowMoment(due, { start: '10:00:00', end: '10:00:00', weekdays: [1] }, 'UTC')).toThrow(RangeError);
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

import { Info, type Zone } from 'luxon';
import { parseIsoDate, parseTimeOfDay, type CallWindow } from './working-hours.js';

/**
 * Call working hours: "a due time outside call_working_hours moves to the next moment inside it".
 *
 * An instant is inside when its wall-clock reading in the zone has an allowed ISO weekday, a
 * calendar date that is not a blackout date, and a time of day in [start, end). Between two
 * UTC-offset changes the wall clock is the instant plus a constant, so the earliest inside instant
 * of such a segment is plain arithmetic; only the offset changes themselves (DST, political
 * changes) need the time-zone database. That keeps the walk to a handful of offset look-ups
 * instead of scanning minutes, and makes gaps and overlaps fall out naturally: a non-existent wall
 * time is never read, and a repeated one is read twice.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * Offset changes are found by probing at this spacing and bisecting. Two changes that cancel out
 * within one step would go unnoticed; the time-zone database has none in the modern era (the
 * closest ones, e.g. Ramadan suspensions, are weeks apart), and a finer step only costs look-ups.
 */
const OFFSET_PROBE_MS = 6 * 3_600_000;

/**
 * Seven days is not always enough: when the only allowed weekday's window lies wholly inside a
 * spring-forward gap (e.g. Sundays 00:00–00:30 in America/Santiago, whose clocks jump from
 * Saturday 24:00 to Sunday 01:00), or the day itself is skipped (Pacific/Apia, 2011-12-30), the
 * next moment is a week further on. Two such weeks in a row do not occur in the database.
 */
const BASE_HORIZON_MS = 15 * DAY_MS;

/**
 * Each blackout date hides at most one allowed day, which pushes the next moment on by at most a
 * week; the eighth day per date pays for the spring-forward gaps that a walk of years can cross
 * (at most two a year in any zone, each costing a week).
 */
const HORIZON_MS_PER_BLACKOUT_DATE = 8 * DAY_MS;

/**
 * Each iteration either returns or moves past an offset change; a few per fortnight exist at most,
 * and at most four a year (Casablanca) over the longer walks that blackout dates cause.
 */
const BASE_SEGMENTS = 64;

interface ResolvedWindow {
  startMs: number;
  endMs: number;
  /** Indexed by ISO weekday (1 = Monday). */
  allowed: boolean[];
  /** Local dates, as days since 1970-01-01, on which nothing is inside. */
  blackout: Set<number>;
}

function resolveWindow(window: CallWindow): ResolvedWindow {
  const start = parseTimeOfDay(window.start);
  const end = parseTimeOfDay(window.end);
  if (start === null || end === null) throw new RangeError('call window times must be HH:MM[:SS]');
  // An empty window has no next moment at all; failing loudly beats looping to the horizon.
  if (start >= end) throw new RangeError('call window start must be before its end');
  const allowed = new Array<boolean>(8).fill(false);
  for (const day of window.weekdays) {
    if (!Number.isInteger(day) || day < 1 || day > 7) throw new RangeError(`invalid ISO weekday ${day}`);
    allowed[day] = true;
  }
  if (!allowed.includes(true)) throw new RangeError('call window needs at least one weekday');
  const blackout = new Set<number>();
  // Windows stored before blackout dates existed lack the field; they have none.
  for (const date of window.blackoutDates ?? []) {
    const day = parseIsoDate(date);
    if (day === null) throw new RangeError(`blackout date "${date}" is not a YYYY-MM-DD date`);
    blackout.add(day);
  }
  return { startMs: start * 1000, endMs: end * 1000, allowed, blackout };
}

/** An allowed weekday that is not a blackout date. */
function isOpenDay(window: ResolvedWindow, day: number): boolean {
  return window.allowed[isoWeekday(day)] === true && !window.blackout.has(day);
}

// Resolving a zone name validates it against the time-zone database, which is slow next to
// the arithmetic; the hopper resolves the same few zones thousands of times a second.
const resolvedZones = new Map<string, Zone>();

function resolveZone(name: string): Zone {
  const known = resolvedZones.get(name);
  if (known) return known;
  const zone = Info.normalizeZone(name);
  // "local"/"system" would make the result depend on the host's TZ, which is never what a campaign means.
  if (!zone.isValid || zone.type === 'system') throw new RangeError(`unknown time zone "${name}"`);
  resolvedZones.set(name, zone);
  return zone;
}

function offsetMs(zone: Zone, instant: number): number {
  // Historical offsets can have seconds (LMT); rounding keeps wall-clock arithmetic in whole ms.
  return Math.round(zone.offset(instant) * MINUTE_MS);
}

/** ISO weekday of a day counted from 1970-01-01, which was a Thursday. */
function isoWeekday(dayNumber: number): number {
  return ((((dayNumber + 3) % 7) + 7) % 7) + 1;
}

function insideAtOffset(window: ResolvedWindow, instant: number, offset: number): boolean {
  const local = instant + offset;
  const day = Math.floor(local / DAY_MS);
  const timeOfDay = local - day * DAY_MS;
  return isOpenDay(window, day) && timeOfDay >= window.startMs && timeOfDay < window.endMs;
}

/** The earliest inside instant >= `from`, pretending the offset never changes again. */
function earliestAtOffset(window: ResolvedWindow, from: number, offset: number): number {
  const local = from + offset;
  const firstDay = Math.floor(local / DAY_MS);
  // Days 1..7 hold every weekday, so days 1..7(n + 1) hold n + 1 allowed days, of which n blackout
  // dates hide at most n; day 0's window may already have passed.
  const lastDay = firstDay + 7 * (window.blackout.size + 1);
  for (let day = firstDay; day <= lastDay; day++) {
    if (!isOpenDay(window, day)) continue;
    const opens = day * DAY_MS + window.startMs;
    const closes = day * DAY_MS + window.endMs;
    if (local < closes) return Math.max(local, opens) - offset;
  }
  throw new RangeError('call window has no open day');
}

/** The first instant in (from, to] whose offset differs from `offset`, or null when there is none. */
function firstOffsetChange(zone: Zone, from: number, to: number, offset: number): number | null {
  let before = from;
  while (before < to) {
    const probe = Math.min(before + OFFSET_PROBE_MS, to);
    if (offsetMs(zone, probe) !== offset) {
      let lo = before;
      let hi = probe;
      while (hi - lo > 1) {
        const mid = lo + Math.floor((hi - lo) / 2);
        if (offsetMs(zone, mid) === offset) lo = mid;
        else hi = mid;
      }
      return hi;
    }
    before = probe;
  }
  return null;
}

function instantOf(value: Date, name: string): number {
  const ms = value.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`${name} must be a valid date`);
  return ms;
}

function nextInside(dueMs: number, window: ResolvedWindow, zone: Zone): number {
  const horizonMs = BASE_HORIZON_MS + window.blackout.size * HORIZON_MS_PER_BLACKOUT_DATE;
  const maxSegments = BASE_SEGMENTS + window.blackout.size;
  let from = dueMs;
  for (let segment = 0; segment < maxSegments && from - dueMs <= horizonMs; segment++) {
    const offset = offsetMs(zone, from);
    const candidate = earliestAtOffset(window, from, offset);
    const change = firstOffsetChange(zone, from, candidate, offset);
    // Up to the change the offset held, so nothing before `candidate` in this segment was inside.
    if (change === null) return candidate;
    from = change;
  }
  throw new RangeError('no moment inside the call window within the search horizon');
}

/**
 * The first instant after `insideMs` that is outside, given that `insideMs` is inside. At a fixed
 * offset the interval closes at the window end of its local day (the end is before midnight, so it
 * never runs on into the next day); an offset change before that either leaves the window or
 * carries the interval on from the new reading (a repeated hour inside the window).
 */
function intervalEnd(insideMs: number, window: ResolvedWindow, zone: Zone): number {
  let from = insideMs;
  for (let segment = 0; segment < BASE_SEGMENTS; segment++) {
    const offset = offsetMs(zone, from);
    const day = Math.floor((from + offset) / DAY_MS);
    const closes = day * DAY_MS + window.endMs - offset;
    const change = firstOffsetChange(zone, from, closes, offset);
    if (change === null) return closes;
    if (!insideAtOffset(window, change, offsetMs(zone, change))) return change;
    from = change;
  }
  throw new RangeError('the call window interval does not end');
}

/** The earliest instant >= due inside the window, read in `zone`; `due` itself when it is inside. */
export function nextWindowMoment(due: Date, window: CallWindow, zone: string): Date {
  return new Date(nextInside(instantOf(due, 'due'), resolveWindow(window), resolveZone(zone)));
}

/**
 * The start of the next window interval that begins strictly after `after`: an instant inside the
 * window whose preceding millisecond is outside. When `after` is inside an interval, that is the
 * start of the following one, never `after` itself. Moves expired work "into the next window".
 */
export function nextWindowOpening(after: Date, window: CallWindow, zone: string): Date {
  const ms = instantOf(after, 'after');
  const resolved = resolveWindow(window);
  const resolvedZone = resolveZone(zone);
  // From an outside instant, the next inside one opens an interval: the instants before it are outside.
  const from = insideAtOffset(resolved, ms, offsetMs(resolvedZone, ms)) ? intervalEnd(ms, resolved, resolvedZone) : ms + 1;
  return new Date(nextInside(from, resolved, resolvedZone));
}

export function isInsideWindow(instant: Date, window: CallWindow, zone: string): boolean {
  const ms = instantOf(instant, 'instant');
  const resolvedZone = resolveZone(zone);
  return insideAtOffset(resolveWindow(window), ms, offsetMs(resolvedZone, ms));
}

/** Retry delays: wait `minutes`, then defer to the window if that lands outside it. */
export function addMinutesThenWindow(from: Date, minutes: number, window: CallWindow, zone: string): Date {
  if (!Number.isFinite(minutes)) throw new RangeError('minutes must be finite');
  return nextWindowMoment(new Date(instantOf(from, 'from') + Math.round(minutes * MINUTE_MS)), window, zone);
}

/** The spec reads the window in the target's zone, else the campaign's, else UTC; blank counts as unset. */
export function effectiveZone(targetZone: string | null | undefined, campaignZone: string | null | undefined): string {
  if (targetZone && targetZone.trim() !== '') return targetZone;
  if (campaignZone && campaignZone.trim() !== '') return campaignZone;
  return 'UTC';
}

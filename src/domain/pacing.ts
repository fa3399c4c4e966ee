/**
 * Call pacing, `max_calls_per_minute` (PRODUCT.md "Compliance and pacing"): due times are spread
 * when they are assigned, so that no minute is planned to hold more than the limit, and the
 * dispatcher checks a sliding minute right before each dial, which also covers retries, resumes
 * and anything the plan could not foresee.
 */

const MINUTE_MS = 60_000;

function checkLimit(maxPerMinute: number): void {
  if (!Number.isInteger(maxPerMinute) || maxPerMinute < 1) throw new RangeError('maxPerMinute must be a positive integer');
}

function instantOf(value: Date, name: string): number {
  const ms = value.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`${name} must be a valid date`);
  return ms;
}

/**
 * Assigns each due time (ascending) the earliest instant at or after it that is at least
 * 60 000 / maxPerMinute ms after the previous assignment (or `lastAssigned`, the campaign's latest
 * assignment before these). Any maxPerMinute + 1 consecutive assignments then span a full minute,
 * so no half-open minute holds more than maxPerMinute of them.
 */
export function spreadDueTimes(dues: Date[], maxPerMinute: number, lastAssigned: Date | null): Date[] {
  checkLimit(maxPerMinute);
  const spacingMs = MINUTE_MS / maxPerMinute;
  let previous = lastAssigned === null ? null : instantOf(lastAssigned, 'lastAssigned');
  let previousDue = Number.NEGATIVE_INFINITY;
  return dues.map((due) => {
    const dueMs = instantOf(due, 'due');
    if (dueMs < previousDue) throw new RangeError('due times must be sorted ascending');
    previousDue = dueMs;
    // Whole milliseconds: rounding the spacing up keeps every gap at least 60 000 / maxPerMinute.
    const assigned = previous === null ? dueMs : Math.max(dueMs, Math.ceil(previous + spacingMs));
    previous = assigned;
    return new Date(assigned);
  });
}

/**
 * The sliding minute: a dial at `now` is allowed when fewer than maxPerMinute dials lie in
 * (now − 60 s, now]. Returns null when it is, else the earliest instant at which it would be,
 * assuming no other dial happens meanwhile. Dials outside that minute are ignored.
 */
export function rateHoldUntil(now: Date, recentDials: Date[], maxPerMinute: number): Date | null {
  checkLimit(maxPerMinute);
  const nowMs = instantOf(now, 'now');
  const inMinute = recentDials
    .map((dial) => instantOf(dial, 'dial'))
    .filter((dial) => dial > nowMs - MINUTE_MS && dial <= nowMs)
    .sort((a, b) => a - b);
  if (inMinute.length < maxPerMinute) return null;
  // Allowed once all but maxPerMinute − 1 of them have left the minute; a dial at d leaves at d + 60 s.
  const mustLeave = inMinute[inMinute.length - maxPerMinute] as number;
  return new Date(mustLeave + MINUTE_MS);
}

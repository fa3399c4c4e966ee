/**
 * Call pacing, `max_calls_per_minute` (docs/product.md, "Compliance and pacing"): due times are spread
 * when they are assigned, so that no minute is planned to hold more than the limit, and the
 * dispatcher checks a sliding minute right before each dial, which also covers retries, resumes
 * and anything the plan could not foresee.
 */

const MINUTE_MS = 60_000;

/**
 * The guard decides at hand-out, the dialer dials a moment later. Checking a window longer than
 * a minute by this margin keeps any minute of actual dial times within the limit as long as the
 * dialers' delays between the claim answer and the dial differ by less than the margin.
 */
export const HANDOUT_MARGIN_MS = 2_000;

/** Hand-outs older than this no longer count toward the sliding window. */
export const PACING_WINDOW_MS = MINUTE_MS + HANDOUT_MARGIN_MS;

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
 * PACING_WINDOW_MS / maxPerMinute ms after the previous assignment (or `lastAssigned`, the
 * campaign's latest assignment before these). Any maxPerMinute + 1 consecutive assignments then
 * span the guard's whole window, so the guard never holds a call handed out on time.
 */
export function spreadDueTimes(dues: Date[], maxPerMinute: number, lastAssigned: Date | null): Date[] {
  checkLimit(maxPerMinute);
  const spacingMs = PACING_WINDOW_MS / maxPerMinute;
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
 * The sliding window: a dial at `now` is allowed when fewer than maxPerMinute dials lie in
 * (now − window, now], the window a minute plus HANDOUT_MARGIN_MS. Returns null when it is, else
 * the earliest instant at which it would be, assuming no other dial happens meanwhile. Dials
 * outside the window are ignored.
 */
export function rateHoldUntil(now: Date, recentDials: Date[], maxPerMinute: number): Date | null {
  checkLimit(maxPerMinute);
  const nowMs = instantOf(now, 'now');
  const inWindow = recentDials
    .map((dial) => instantOf(dial, 'dial'))
    .filter((dial) => dial > nowMs - PACING_WINDOW_MS && dial <= nowMs)
    .sort((a, b) => a - b);
  if (inWindow.length < maxPerMinute) return null;
  // Allowed once all but maxPerMinute − 1 of them have left the window.
  const mustLeave = inWindow[inWindow.length - maxPerMinute] as number;
  return new Date(mustLeave + PACING_WINDOW_MS);
}

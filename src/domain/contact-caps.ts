/**
 * Contact caps (docs/product.md, "Contact caps and opt-outs"): an organization's limits on calls
 * dialed to one number across all its campaigns, e.g. 3 in 24 hours and 7 in 168. Pure.
 */

export interface ContactCap {
  hours: number;
  /** Dials allowed within any `hours` hours. */
  max: number;
}

/** The longest a cap may look back; the dials older than this are forgotten. */
export const CONTACT_CAP_MAX_HOURS = 744;

const HOUR_MS = 3_600_000;

/**
 * The first moment at which one more dial to the number keeps every cap, given the number's
 * dials; null when a dial now does. A dial stamped after `now` (a batch that read its clock
 * before another committed) counts as made. A cap of `max` in `hours`
 * is kept at T when fewer than `max` dials lie in (T - hours, T]: with the dials of its window
 * in time order, the one `max` places from the newest has to leave it.
 */
export function capHoldUntil(now: Date, dials: readonly Date[], caps: readonly ContactCap[]): Date | null {
  const nowMs = now.getTime();
  let until: number | null = null;
  for (const cap of caps) {
    const windowMs = cap.hours * HOUR_MS;
    const inWindow = dials
      .map((dial) => dial.getTime())
      .filter((dial) => dial > nowMs - windowMs)
      .sort((a, b) => a - b);
    if (inWindow.length < cap.max) continue;
    const free = inWindow[inWindow.length - cap.max]! + windowMs;
    until = until === null ? free : Math.max(until, free);
  }
  return until === null ? null : new Date(until);
}

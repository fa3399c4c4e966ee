/** The call window of a campaign as stored: times normalised to HH:MM:SS, weekdays ISO (1 = Monday). */
export interface CallWindow {
  start: string;
  end: string;
  weekdays: number[];
  /**
   * Local dates (YYYY-MM-DD) on which no moment is inside, read in the same zone as the window;
   * sorted and unique.
   */
  blackoutDates: string[];
}

export const DEFAULT_CALL_WINDOW: CallWindow = {
  start: '09:00:00',
  end: '19:00:00',
  weekdays: [1, 2, 3, 4, 5],
  blackoutDates: [],
};

// Whole seconds only: the window is stored to the second, so a fraction would be dropped silently.
const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

/** Seconds since midnight of an "HH:MM" or "HH:MM:SS" time, or null when it is not one. */
export function parseTimeOfDay(value: string): number | null {
  const match = TIME_OF_DAY.exec(value);
  if (!match) return null;
  const [, hours, minutes, seconds] = match;
  return Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds ?? 0);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a calendar date "YYYY-MM-DD", or null when it is not a real date. */
export function parseIsoDate(value: string): number | null {
  const match = ISO_DATE.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  // Out-of-range parts roll over (2023-02-29 → March 1st): only a round trip proves the date real.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return Math.round(date.getTime() / DAY_MS);
}

function formatTimeOfDay(totalSeconds: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}`;
}

/** Fills defaults, normalises times and sorts weekdays and blackout dates; input must already be valid. */
export function normalizeCallWindow(input: Partial<CallWindow> | undefined): CallWindow {
  const start = parseTimeOfDay(input?.start ?? DEFAULT_CALL_WINDOW.start);
  const end = parseTimeOfDay(input?.end ?? DEFAULT_CALL_WINDOW.end);
  if (start === null || end === null) throw new RangeError('call window times must be valid');
  const weekdays = [...new Set(input?.weekdays ?? DEFAULT_CALL_WINDOW.weekdays)].sort((a, b) => a - b);
  const blackoutDates = [...new Set(input?.blackoutDates ?? [])].sort();
  for (const date of blackoutDates) {
    if (parseIsoDate(date) === null) throw new RangeError(`blackout date "${date}" is not a YYYY-MM-DD date`);
  }
  return { start: formatTimeOfDay(start), end: formatTimeOfDay(end), weekdays, blackoutDates };
}

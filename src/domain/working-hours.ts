/** The call window of a campaign as stored: times normalised to HH:MM:SS, weekdays ISO (1 = Monday). */
export interface CallWindow {
  start: string;
  end: string;
  weekdays: number[];
}

export const DEFAULT_CALL_WINDOW: CallWindow = {
  start: '09:00:00',
  end: '19:00:00',
  weekdays: [1, 2, 3, 4, 5],
};

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,6})?)?$/;

/** Seconds since midnight of an "HH:MM" or "HH:MM:SS" time, or null when it is not one. */
export function parseTimeOfDay(value: string): number | null {
  const match = TIME_OF_DAY.exec(value);
  if (!match) return null;
  const [, hours, minutes, seconds] = match;
  return Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds ?? 0);
}

function formatTimeOfDay(totalSeconds: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}`;
}

/** Fills defaults, normalises times and sorts weekdays; input must already be valid. */
export function normalizeCallWindow(input: Partial<CallWindow> | undefined): CallWindow {
  const start = parseTimeOfDay(input?.start ?? DEFAULT_CALL_WINDOW.start);
  const end = parseTimeOfDay(input?.end ?? DEFAULT_CALL_WINDOW.end);
  if (start === null || end === null) throw new RangeError('call window times must be valid');
  const weekdays = [...new Set(input?.weekdays ?? DEFAULT_CALL_WINDOW.weekdays)].sort((a, b) => a - b);
  return { start: formatTimeOfDay(start), end: formatTimeOfDay(end), weekdays };
}

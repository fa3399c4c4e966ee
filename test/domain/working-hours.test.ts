import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CALL_WINDOW, normalizeCallWindow, parseIsoDate, parseTimeOfDay } from '../../src/domain/working-hours.js';

describe('parseIsoDate', () => {
  it.each<[string, number | null]>([
    ['1970-01-01', 0],
    ['1970-01-02', 1],
    ['1969-12-31', -1],
    ['2000-02-29', 11_016],
    ['2024-12-31', 20_088],
    ['0050-01-01', -701_265],
    // Not real dates, or not in the one accepted form.
    ['2023-02-29', null],
    ['2024-02-30', null],
    ['2024-13-01', null],
    ['2024-00-10', null],
    ['2024-04-31', null],
    ['2024-6-1', null],
    ['20240601', null],
    ['2024-06-01T00:00:00Z', null],
    [' 2024-06-01', null],
    ['', null],
  ])('%s → %s', (value, expected) => {
    expect(parseIsoDate(value)).toBe(expected);
  });

  it('agrees with the days between the date and the epoch for every date of 1900–2200', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-12-31T00:00:00Z'), noInvalidDate: true }), (instant) => {
        const iso = instant.toISOString().slice(0, 10);
        expect(parseIsoDate(iso)).toBe(Math.floor(instant.getTime() / 86_400_000));
      }),
    );
  });
});

describe('normalizeCallWindow', () => {
  it('fills every default, blackout dates included', () => {
    expect(normalizeCallWindow(undefined)).toEqual(DEFAULT_CALL_WINDOW);
    expect(normalizeCallWindow({})).toEqual({ start: '09:00:00', end: '19:00:00', weekdays: [1, 2, 3, 4, 5], blackoutDates: [] });
    expect(normalizeCallWindow({ start: '08:30', end: '17:00', weekdays: [5, 1, 1] })).toEqual({
      start: '08:30:00',
      end: '17:00:00',
      weekdays: [1, 5],
      blackoutDates: [],
    });
  });

  it('sorts blackout dates and drops repeats', () => {
    expect(normalizeCallWindow({ blackoutDates: ['2025-01-01', '2024-12-25', '2025-01-01', '2024-12-24'] }).blackoutDates).toEqual([
      '2024-12-24',
      '2024-12-25',
      '2025-01-01',
    ]);
  });

  it('rejects a blackout date that is not a calendar date', () => {
    expect(() => normalizeCallWindow({ blackoutDates: ['2024-02-30'] })).toThrow(RangeError);
    expect(() => normalizeCallWindow({ blackoutDates: ['2024-12-24', 'christmas'] })).toThrow(RangeError);
  });

  it('keeps times that parse to the same second', () => {
    expect(parseTimeOfDay(normalizeCallWindow({ start: '07:05:09' }).start)).toBe(7 * 3600 + 5 * 60 + 9);
  });
});

describe('parseTimeOfDay', () => {
  it.each<[string, number | null]>([
    ['00:00', 0],
    ['07:05', 7 * 3600 + 5 * 60],
    ['07:05:09', 7 * 3600 + 5 * 60 + 9],
    ['23:59:59', 86_399],
    // Fractions of a second would be dropped: refused rather than truncated.
    ['09:00:00.5', null],
    ['07:05:09.250', null],
    ['09:00:00,5', null],
    ['24:00', null],
    ['7:05', null],
    ['09:60', null],
    ['09:00:60', null],
    ['09:00Z', null],
    ['09:00:00+01:00', null],
    ['T09:00', null],
    ['', null],
  ])('%s → %s', (value, expected) => {
    expect(parseTimeOfDay(value)).toBe(expected);
  });
});

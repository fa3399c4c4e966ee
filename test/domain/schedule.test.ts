import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { earliestContact, isPastEnd, runProblem, scheduleProblem } from '../../src/domain/schedule.js';

// docs/product.md, "Campaign schedule".

const NOW = new Date('2026-11-30T10:00:00Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

describe('earliestContact', () => {
  it.each([
    ['no start: now', null, NOW],
    ['a start ahead: the start', minutes(10), minutes(10)],
    ['a start passed: now', minutes(-10), NOW],
    ['a start now: now', NOW, NOW],
  ])('%s', (_, startsAt, expected) => {
    expect(earliestContact({ startsAt, endsAt: null }, NOW)).toEqual(expected);
  });
});

describe('isPastEnd', () => {
  it.each([
    ['no end', null, minutes(10_000), false],
    ['due before the end', minutes(60), minutes(59), false],
    ['due at the end', minutes(60), minutes(60), true],
    ['due after the end', minutes(60), minutes(61), true],
  ])('%s', (_, endsAt, due, expected) => {
    expect(isPastEnd({ startsAt: null, endsAt }, due)).toBe(expected);
  });

  it('never lets an earliest contact before the end be past it, nor one at or after it pass', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -1000, max: 1000 }), (start, end) => {
        const schedule = { startsAt: minutes(start), endsAt: minutes(end) };
        expect(isPastEnd(schedule, earliestContact(schedule, NOW))).toBe(Math.max(start, 0) >= end);
      }),
    );
  });
});

describe('scheduleProblem and runProblem', () => {
  it('wants the end after the start', () => {
    expect(scheduleProblem({ startsAt: minutes(10), endsAt: minutes(10) })).toBe('must be after starts_at');
    expect(scheduleProblem({ startsAt: minutes(10), endsAt: minutes(5) })).toBe('must be after starts_at');
    expect(scheduleProblem({ startsAt: minutes(10), endsAt: minutes(11) })).toBeNull();
    expect(scheduleProblem({ startsAt: null, endsAt: minutes(-5) })).toBeNull();
  });

  it('refuses to run once the end has come', () => {
    expect(runProblem({ startsAt: null, endsAt: NOW }, NOW)).toMatch(/^has passed \(2026-11-30T10:00:00.000Z\)/);
    expect(runProblem({ startsAt: null, endsAt: minutes(1) }, NOW)).toBeNull();
    expect(runProblem({ startsAt: null, endsAt: null }, NOW)).toBeNull();
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capHoldUntil, type ContactCap } from '../../src/domain/contact-caps.js';

// docs/product.md, "Contact caps and opt-outs".

const NOW = Date.parse('2026-11-30T10:00:00Z');
const HOUR = 3_600_000;
const hoursAgo = (h: number) => new Date(NOW - h * HOUR);

describe('capHoldUntil', () => {
  const caps: ContactCap[] = [
    { hours: 24, max: 3 },
    { hours: 168, max: 7 },
  ];
  it.each([
    ['no dials: now', [], null],
    ['two dials today: a third is allowed', [hoursAgo(1), hoursAgo(2)], null],
    ['three dials today: when the oldest of them is a day old', [hoursAgo(1), hoursAgo(2), hoursAgo(5)], hoursAgo(5 - 24)],
    ['dials older than the window do not count', [hoursAgo(25), hoursAgo(30), hoursAgo(2)], null],
    [
      'seven this week: when the oldest leaves the week, later than the day cap',
      [hoursAgo(1), hoursAgo(30), hoursAgo(50), hoursAgo(70), hoursAgo(90), hoursAgo(110), hoursAgo(160)],
      hoursAgo(160 - 168),
    ],
    [
      'both caps full: the later of the two',
      [hoursAgo(1), hoursAgo(2), hoursAgo(3), hoursAgo(50), hoursAgo(70), hoursAgo(90), hoursAgo(100)],
      new Date(Math.max(hoursAgo(3 - 24).getTime(), hoursAgo(100 - 168).getTime())),
    ],
  ])('%s', (_, dials, expected) => {
    expect(capHoldUntil(new Date(NOW), dials, caps)).toEqual(expected);
  });

  it('no caps: never held', () => {
    expect(capHoldUntil(new Date(NOW), [hoursAgo(0), hoursAgo(0)], [])).toBeNull();
  });

  const inWindow = (at: number, dials: number[], cap: ContactCap) => dials.filter((dial) => dial > at - cap.hours * HOUR && dial <= at).length;

  it('holds until exactly the first moment every cap allows one more dial (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ hours: fc.integer({ min: 1, max: 200 }), max: fc.integer({ min: 1, max: 6 }) }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: 0, max: 200 * 60 }), { maxLength: 20 }),
        (capList, minutesAgo) => {
          const dials = minutesAgo.map((minutes) => NOW - minutes * 60_000);
          const until = capHoldUntil(
            new Date(NOW),
            dials.map((dial) => new Date(dial)),
            capList,
          );
          const keeps = (at: number) => capList.every((cap) => inWindow(at, dials, cap) < cap.max);
          if (until === null) {
            expect(keeps(NOW)).toBe(true);
          } else {
            expect(until.getTime()).toBeGreaterThan(NOW);
            expect(keeps(until.getTime())).toBe(true);
            expect(keeps(until.getTime() - 1)).toBe(false);
          }
        },
      ),
    );
  });
});

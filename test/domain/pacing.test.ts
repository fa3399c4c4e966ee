import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HANDOUT_MARGIN_MS, PACING_WINDOW_MS, rateHoldUntil, spreadDueTimes } from '../../src/domain/pacing.js';

// docs/product.md, "Compliance and pacing": no minute holds more dials than max_calls_per_minute. The
// guard decides at hand-out over a window W of a minute plus a margin, so that the dialers'
// delay between hand-out and dial cannot push an extra dial into a minute.
const W = PACING_WINDOW_MS;

const T0 = Date.parse('2024-06-10T09:00:00Z');
const S = 1000;
const at = (offsetMs: number) => new Date(T0 + offsetMs);
const offsets = (dates: Date[]) => dates.map((d) => d.getTime() - T0);

/** The most instants that any half-open minute [x, x + 60 s) holds; the busiest one starts at an instant. */
function busiestMinute(instants: number[]): number {
  return Math.max(0, ...instants.map((start) => instants.filter((t) => t >= start && t < start + 60 * S).length));
}

describe('spreadDueTimes examples', () => {
  // [name, dues (offsets from T0), maxPerMinute, lastAssigned offset or null, expected offsets]
  // The spacing is W / maxPerMinute, rounded up to whole milliseconds (10 per minute: 6.2 s).
  const gap = (perMinute: number) => Math.ceil(W / perMinute);
  const rows: Array<[string, number[], number, number | null, number[]]> = [
    ['nothing to spread', [], 10, null, []],
    ['one due time stays', [0], 10, null, [0]],
    ['a burst of 5 at 10/min: 6.2 s apart', [0, 0, 0, 0, 0], 10, null, [0, 6200, 12_400, 18_600, 24_800]],
    ['already far enough apart: unchanged', [0, 7 * S, 20 * S, 90 * S], 10, null, [0, 7 * S, 20 * S, 90 * S]],
    ['too close: pushed to the spacing', [0, 1 * S, 2 * S, 30 * S], 10, null, [0, 6200, 12_400, 30 * S]],
    ['a gap lets a later one keep its time', [0, 0, 40 * S, 40 * S], 10, null, [0, 6200, 40 * S, 46_200]],
    ['1 per minute: a window apart', [0, 0, 0], 1, null, [0, W, 2 * W]],
    ['60 per minute: just over a second apart', [0, 0, 500], 60, null, [0, gap(60), Math.ceil(gap(60) + W / 60)]],
    ['7 per minute rounds the spacing up', [0, 0, 0], 7, null, [0, gap(7), Math.ceil(gap(7) + W / 7)]],
    ['continues after the last assignment', [0, 0], 10, -1 * S, [5200, 11_400]],
    ['a last assignment long ago changes nothing', [0, 0], 10, -3600 * S, [0, 6200]],
    ['a last assignment after the dues pushes them all', [0, 0], 10, 60 * S, [66_200, 72_400]],
  ];
  it.each(rows)('%s', (_name, dues, maxPerMinute, last, expected) => {
    expect(offsets(spreadDueTimes(dues.map(at), maxPerMinute, last === null ? null : at(last)))).toEqual(expected);
  });

  it('200 due targets at 10 per minute take 20 minutes 34 seconds, never more than 10 in a minute', () => {
    const spread = spreadDueTimes(
      Array.from({ length: 200 }, () => at(0)),
      10,
      null,
    ).map((d) => d.getTime());
    expect(spread.at(-1)).toBe(T0 + 199 * 6200);
    expect(busiestMinute(spread)).toBe(10);
  });

  it('rejects a limit that is not a positive whole number, unsorted dues and invalid dates', () => {
    for (const limit of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => spreadDueTimes([at(0)], limit, null)).toThrow(RangeError);
    }
    expect(() => spreadDueTimes([at(S), at(0)], 10, null)).toThrow(RangeError);
    expect(() => spreadDueTimes([new Date(Number.NaN)], 10, null)).toThrow(RangeError);
    expect(() => spreadDueTimes([at(0)], 10, new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('spreadDueTimes properties', () => {
  const input = fc.record({
    dues: fc
      .oneof(
        fc.array(fc.integer({ min: 0, max: 10 * 60 * S }), { maxLength: 60 }),
        // Bursts: many due times within half a minute, more than any small limit allows.
        fc.array(fc.integer({ min: 0, max: 30 * S }), { minLength: 1, maxLength: 150 }),
      )
      .map((xs) => xs.sort((a, b) => a - b)),
    maxPerMinute: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 120 })),
    last: fc.option(fc.integer({ min: -2 * 60 * S, max: 60 * S }), { nil: null }),
  });

  it('keeps order and length, never moves a due time earlier, and keeps the spacing from the last assignment', () => {
    fc.assert(
      fc.property(input, ({ dues, maxPerMinute, last }) => {
        const out = spreadDueTimes(dues.map(at), maxPerMinute, last === null ? null : at(last)).map((d) => d.getTime() - T0);
        expect(out).toHaveLength(dues.length);
        const spacing = W / maxPerMinute;
        out.forEach((assigned, i) => {
          expect(assigned).toBeGreaterThanOrEqual(dues[i]!);
          const previous = i === 0 ? last : out[i - 1]!;
          if (previous !== null) expect(assigned - previous).toBeGreaterThanOrEqual(spacing);
        });
      }),
    );
  });

  it('no half-open minute holds more than the limit, the last assignment included', () => {
    fc.assert(
      fc.property(input, ({ dues, maxPerMinute, last }) => {
        const out = spreadDueTimes(dues.map(at), maxPerMinute, last === null ? null : at(last)).map((d) => d.getTime());
        expect(busiestMinute(last === null ? out : [T0 + last, ...out])).toBeLessThanOrEqual(maxPerMinute);
      }),
    );
  });

  it('is as early as possible: a millisecond earlier would be before the due time or too close to the previous one', () => {
    fc.assert(
      fc.property(input, ({ dues, maxPerMinute, last }) => {
        const out = spreadDueTimes(dues.map(at), maxPerMinute, last === null ? null : at(last)).map((d) => d.getTime() - T0);
        out.forEach((assigned, i) => {
          const previous = i === 0 ? last : out[i - 1]!;
          const earlier = assigned - 1;
          const tooEarly = earlier < dues[i]! || (previous !== null && earlier - previous < W / maxPerMinute);
          expect(tooEarly).toBe(true);
        });
      }),
    );
  });

  it('dials placed at the spread times are never held by the sliding minute', () => {
    fc.assert(
      fc.property(input, ({ dues, maxPerMinute, last }) => {
        const out = spreadDueTimes(dues.map(at), maxPerMinute, last === null ? null : at(last));
        const dialed = last === null ? [] : [at(last)];
        for (const dial of out) {
          expect(rateHoldUntil(dial, dialed, maxPerMinute)).toBeNull();
          dialed.push(dial);
        }
      }),
    );
  });
});

describe('rateHoldUntil examples', () => {
  // [name, dial offsets from now, maxPerMinute, expected hold offset from now or null]
  const rows: Array<[string, number[], number, number | null]> = [
    ['no dials', [], 1, null],
    ['one below the limit', [-50 * S], 2, null],
    ['at the limit: until the oldest leaves the window', [-50 * S, -40 * S], 2, W - 50 * S],
    ['a dial exactly a window ago has left', [-W, -40 * S], 2, null],
    ['a dial a millisecond inside the window still counts', [-W + 1, -40 * S], 2, 1],
    ['a dial a minute ago still counts: the margin', [-60 * S, -40 * S], 2, W - 60 * S],
    ['a dial at now counts', [-10 * S, 0], 2, W - 10 * S],
    ['over the limit: until enough have left', [-50 * S, -40 * S, -30 * S], 2, W - 40 * S],
    ['unsorted input', [-10 * S, -50 * S, -30 * S], 3, W - 50 * S],
    ['simultaneous dials leave together', [-45 * S, -45 * S, -45 * S], 3, W - 45 * S],
    ['limit 1: a window after the last dial', [-59 * S], 1, W - 59 * S],
    ['dials older than the window are ignored', [-120 * S, -W - 1, -W], 1, null],
    ['dials after now are outside (now − W, now]', [1 * S, 2 * S], 1, null],
  ];
  it.each(rows)('%s', (_name, dials, maxPerMinute, expected) => {
    const now = at(0);
    const hold = rateHoldUntil(now, dials.map(at), maxPerMinute);
    expect(hold === null ? null : hold.getTime() - T0).toBe(expected);
  });

  it('rejects a limit that is not a positive whole number and invalid dates', () => {
    for (const limit of [0, -1, 2.5, Number.NaN]) expect(() => rateHoldUntil(at(0), [], limit)).toThrow(RangeError);
    expect(() => rateHoldUntil(new Date(Number.NaN), [], 1)).toThrow(RangeError);
    expect(() => rateHoldUntil(at(0), [new Date(Number.NaN)], 1)).toThrow(RangeError);
  });
});

describe('rateHoldUntil properties', () => {
  it('allows a dial exactly when fewer than the limit lie in (now − W, now]', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -120 * S, max: 30 * S }), { maxLength: 20 }), fc.integer({ min: 1, max: 8 }), (dials, maxPerMinute) => {
        const inWindow = dials.filter((d) => d > -W && d <= 0).length;
        const hold = rateHoldUntil(at(0), dials.map(at), maxPerMinute);
        expect(hold === null).toBe(inWindow < maxPerMinute);
        if (hold !== null) {
          const past = dials.filter((d) => d <= 0).map(at);
          // Later than now, allowed then, and not a millisecond earlier.
          expect(hold.getTime()).toBeGreaterThan(T0);
          expect(rateHoldUntil(hold, past, maxPerMinute)).toBeNull();
          expect(rateHoldUntil(new Date(hold.getTime() - 1), past, maxPerMinute)).not.toBeNull();
        }
      }),
    );
  });

  it('simulation: admitting dials only when allowed, and retrying held ones at their hold time, no minute exceeds the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5 * 60 * S }), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 12 }),
        (attempts, maxPerMinute) => {
          const queue = [...attempts].sort((a, b) => a - b);
          const admitted: number[] = [];
          let steps = 0;
          while (queue.length > 0) {
            steps++;
            expect(steps).toBeLessThan(100_000);
            const now = queue.shift()!;
            const hold = rateHoldUntil(at(now), admitted.map(at), maxPerMinute);
            if (hold === null) {
              admitted.push(now);
              continue;
            }
            const retryAt = hold.getTime() - T0;
            expect(retryAt).toBeGreaterThan(now);
            const index = queue.findIndex((t) => t > retryAt);
            queue.splice(index === -1 ? queue.length : index, 0, retryAt);
          }
          // Every attempt is dialed in the end, and no half-open minute holds more than the limit.
          expect(admitted).toHaveLength(attempts.length);
          expect(busiestMinute(admitted)).toBeLessThanOrEqual(maxPerMinute);
        },
      ),
    );
  });

  it('simulation: dialers that dial up to the margin after the hand-out never put more than the limit into a minute', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 * 60 * S }), fc.integer({ min: 0, max: HANDOUT_MARGIN_MS - 1 })), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 12 }),
        (attempts, maxPerMinute) => {
          const handedOut: number[] = [];
          const dialed: number[] = [];
          for (const [now, lag] of [...attempts].sort((a, b) => a[0] - b[0])) {
            if (rateHoldUntil(at(now), handedOut.map(at), maxPerMinute) !== null) continue;
            handedOut.push(now);
            dialed.push(now + lag);
          }
          expect(busiestMinute(dialed)).toBeLessThanOrEqual(maxPerMinute);
        },
      ),
    );
  });
});

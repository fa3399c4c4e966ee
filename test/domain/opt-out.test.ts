import { describe, expect, it } from 'vitest';
import { DEFAULT_OPT_OUT_KEYWORDS, isOptOutReply } from '../../src/domain/opt-out.js';

// docs/product.md, "Contact caps and opt-outs".

describe('isOptOutReply', () => {
  it.each([
    ['Stop', true],
    ['  stop \n', true],
    ['STOPALL', true],
    ['unsubscribe', true],
    ['Cancel', true],
    ['end', true],
    ['Quit', true],
    ['Stop calling me', false],
    ['please stop', false],
    ['STOP!', false],
    ['', false],
    ['   ', false],
  ])('%j with the default keywords: %s', (text, expected) => {
    expect(isOptOutReply(text, DEFAULT_OPT_OUT_KEYWORDS)).toBe(expected);
  });

  it('reads the organization keywords in any case, and a reply without text never opts out', () => {
    expect(isOptOutReply('arrêt', ['ARRÊT'])).toBe(true);
    expect(isOptOutReply('Stop', ['ARRÊT'])).toBe(false);
    expect(isOptOutReply(undefined, DEFAULT_OPT_OUT_KEYWORDS)).toBe(false);
    expect(isOptOutReply(null, DEFAULT_OPT_OUT_KEYWORDS)).toBe(false);
  });
});

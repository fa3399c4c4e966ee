import { describe, expect, it } from 'vitest';
import { parseQueryString } from '../../src/api/query-string.js';

describe('parseQueryString', () => {
  it.each([
    ['', {}],
    ['a=1&b=two', { a: '1', b: 'two' }],
    ['a=1&a=2&a=3', { a: ['1', '2', '3'] }],
    ['flag&&=x&e=', { flag: '', '': 'x', e: '' }],
    ['q=a+b%2Bc', { q: 'a b+c' }],
    ['k%20ey=v=w', { 'k ey': 'v=w' }],
    ['name=zo%C3%AB%F0%9F%98%80', { name: 'zoë😀' }],
    ['r=%EF%BF%BD', { r: '\ufffd' }],
    ['pct=100%&bad=%zz', { pct: '100%', bad: '%zz' }],
    ['nul=a%00b', { nul: 'a\u0000b' }],
    ['__proto__=x', { ['__proto__']: 'x' }],
  ])('reads %j like Fastify did', (query, expected) => {
    expect({ ...parseQueryString(query) }).toEqual(expected);
  });

  it.each([
    ['%ED%A0%80', '\udced\udca0\udc80'],
    ['a%C0%80b', 'a\udcc0\udc80b'],
    ['%E2%82', '\udce2\udc82'],
    ['%F4%90%80%80', '\udcf4\udc90\udc80\udc80'],
    ['%FF%C3%A9', '\udcff\u00e9'],
    ['100%+%E2%82', '100% \udce2\udc82'],
  ])('makes each byte of a malformed UTF-8 sequence in %s a lone surrogate', (encoded, decoded) => {
    const value = parseQueryString(`v=${encoded}`).v as string;
    expect(value).toBe(decoded);
    expect(value.isWellFormed()).toBe(false);
  });
});

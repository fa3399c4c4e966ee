import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { decideAfterAttempt, DEFAULT_RETRY_DELAYS_MS, isPublicAddress, signatureHeader, urlProblem } from '../../src/domain/webhooks.js';

// docs/webhooks.md.

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';

describe('signatureHeader', () => {
  it('is verified by the Standard Webhooks reference library, with any one of several secrets', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.string(), (id, text) => {
        const body = JSON.stringify({ type: 'call.ended', timestamp: new Date().toISOString(), data: { text } });
        const timestamp = Math.floor(Date.now() / 1000);
        const headers = {
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signatureHeader([SECRET, OTHER], id, timestamp, body),
        };
        expect(new Webhook(SECRET).verify(body, headers)).toEqual(JSON.parse(body));
        expect(new Webhook(OTHER).verify(body, headers)).toEqual(JSON.parse(body));
      }),
      { numRuns: 50 },
    );
  });

  it('does not verify a changed body or another secret', () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader([SECRET], 'msg_1', timestamp, '{"a":1}'),
    };
    expect(() => new Webhook(SECRET).verify('{"a":2}', headers)).toThrow();
    expect(() => new Webhook(OTHER).verify('{"a":1}', headers)).toThrow();
  });
});

describe('decideAfterAttempt', () => {
  const now = new Date('2026-11-30T10:00:00Z');
  const base = { attempts: 1, failingSince: null, now, delaysMs: DEFAULT_RETRY_DELAYS_MS, random: 0.5 };
  it.each([
    ['200 delivers', { status: 200 }, { kind: 'delivered' }],
    ['204 delivers', { status: 204 }, { kind: 'delivered' }],
    ['410 disables', { status: 410 }, { kind: 'disable', reason: 'the endpoint answered 410 Gone' }],
    ['500 is retried 5 s later', { status: 500 }, { kind: 'retry', at: new Date(now.getTime() + 5_000) }],
    ['a redirect is retried', { status: 302 }, { kind: 'retry', at: new Date(now.getTime() + 5_000) }],
    ['a timeout is retried', { error: 'no answer within 15000 ms' }, { kind: 'retry', at: new Date(now.getTime() + 5_000) }],
  ])('%s', (_, result, expected) => {
    expect(decideAfterAttempt({ ...base, result })).toEqual(expected);
  });

  it('fails once the schedule runs out, about three days after the first attempt', () => {
    const total = DEFAULT_RETRY_DELAYS_MS.reduce((sum, delay) => sum + delay, 0);
    expect(total / 86_400_000).toBeGreaterThan(2.5);
    expect(total / 86_400_000).toBeLessThan(3.5);
    expect(decideAfterAttempt({ ...base, attempts: DEFAULT_RETRY_DELAYS_MS.length + 1, result: { status: 500 } })).toEqual({ kind: 'failed' });
  });

  it('disables an endpoint failing for five days, but not sooner', () => {
    const day = 86_400_000;
    expect(decideAfterAttempt({ ...base, failingSince: new Date(now.getTime() - 5 * day), result: { status: 503 } })).toEqual({
      kind: 'disable',
      reason: 'every delivery failed for 5 days',
    });
    expect(decideAfterAttempt({ ...base, failingSince: new Date(now.getTime() - 5 * day + 1), result: { status: 503 } }).kind).toBe('retry');
    expect(decideAfterAttempt({ ...base, failingSince: new Date(now.getTime() - 5 * day), result: { status: 200 } }).kind).toBe('delivered');
  });

  it('moves each retry by at most a tenth of its delay (jitter)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: DEFAULT_RETRY_DELAYS_MS.length }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempts, random) => {
        const decision = decideAfterAttempt({ ...base, attempts, random, result: { status: 500 } });
        const delay = DEFAULT_RETRY_DELAYS_MS[attempts - 1]!;
        expect(decision.kind).toBe('retry');
        const waited = (decision as { at: Date }).at.getTime() - now.getTime();
        expect(Math.abs(waited - delay)).toBeLessThanOrEqual(delay * 0.1 + 1);
      }),
    );
  });
});

describe('urlProblem and isPublicAddress', () => {
  it.each([
    ['https://hooks.example.com/in', false, null],
    ['http://hooks.example.com/in', false, 'must be an https URL'],
    ['http://hooks.example.com/in', true, null],
    ['ftp://hooks.example.com/in', true, 'must be an https URL'],
    ['https://127.0.0.1/in', false, 'must resolve to a public address'],
    ['https://[::1]/in', false, 'must resolve to a public address'],
    ['https://10.1.2.3/in', false, 'must resolve to a public address'],
    ['https://169.254.169.254/latest', false, 'must resolve to a public address'],
    ['http://127.0.0.1:8080/in', true, null],
    ['https://user:pw@hooks.example.com/in', false, 'must not carry credentials'],
    ['hooks.example.com', false, 'must be an absolute URL'],
  ])('%s (private allowed: %s): %s', (url, allowPrivate, expected) => {
    expect(urlProblem(url, allowPrivate)).toBe(expected);
  });

  it.each([
    ['93.184.216.34', true],
    ['2606:2800:220:1:248:1893:25c8:1946', true],
    ['127.0.0.1', false],
    ['10.0.0.1', false],
    ['172.16.5.4', false],
    ['192.168.1.1', false],
    ['100.64.0.1', false],
    ['169.254.169.254', false],
    ['::1', false],
    ['fc00::1', false],
    ['::ffff:127.0.0.1', false],
    ['0.0.0.0', false],
    ['not an address', false],
  ])('%s public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

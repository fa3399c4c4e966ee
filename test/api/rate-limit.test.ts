import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startSystem, type System } from '../../src/system.js';
import { eventually } from '../support/poll.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { startOwnRedis } from '../support/redis-server.js';
import { expectDetail } from '../support/responses.js';

// Per-credential rate limiting on Redis: a budget per API key, per JWT org+sub, per IP without
// credentials; 429 `{detail}` with Retry-After; health, metrics and admin routes exempt.

const LIMIT = 5;

describe('rate limits', () => {
  let t: TestSystem;
  let second: System;
  beforeAll(async () => {
    t = await startTestSystem({ RATE_LIMIT_MAX: String(LIMIT), RATE_LIMIT_WINDOW_MS: '60000' }, 'api');
    // Another API process on the same Redis and prefix: budgets are shared.
    second = await startSystem(t.config, 'api', { logger: createLogger('silent') });
  });
  afterAll(async () => {
    await second?.close();
    await t?.close();
  });

  const get = (app: System, url: string, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1') =>
    app.app!.inject({ method: 'GET', url, headers, remoteAddress });

  it('answers 429 with {detail} and Retry-After once an API key spent its budget, across API processes', async () => {
    const { apiKey } = await t.newOrganization();
    const headers = { 'x-api-key': apiKey };
    for (let i = 0; i < LIMIT; i++) {
      const response = await get(i % 2 === 0 ? t.system : second, '/campaigns', headers);
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1 - i));
    }
    const refused = await get(t.system, '/campaigns', headers);
    expect(expectDetail(refused, 429)).toMatch(/Too many requests/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expectDetail(await get(second, '/campaigns', headers), 429);

    // Another key of another organization, and the same IP: untouched.
    const other = await t.newOrganization();
    expect((await get(t.system, '/campaigns', { 'x-api-key': other.apiKey })).statusCode).toBe(200);
  });

  it('gives each JWT org and subject its own budget', async () => {
    const { id } = await t.newOrganization();
    const asUser = async (sub: string) => ({ authorization: `Bearer ${await t.bearer({ org: id, sub })}` });
    const alice = await asUser('alice');
    for (let i = 0; i < LIMIT; i++) expect((await get(t.system, '/campaigns', alice)).statusCode).toBe(200);
    // A fresh token of the same subject spends the same budget.
    expectDetail(await get(t.system, '/campaigns', await asUser('alice')), 429);
    expect((await get(t.system, '/campaigns', await asUser('bob'))).statusCode).toBe(200);
  });

  it('limits requests without valid credentials by IP, failed authentications included', async () => {
    const ip = '10.1.2.3';
    for (let i = 0; i < LIMIT - 1; i++) expect((await get(t.system, '/campaigns', { 'x-api-key': `cek_wrong${i}` }, ip)).statusCode).toBe(401);
    expect((await get(t.system, '/openapi.json', {}, ip)).statusCode).toBe(200);
    expectDetail(await get(t.system, '/campaigns', { 'x-api-key': 'cek_guess' }, ip), 429);
    expectDetail(await get(t.system, '/openapi.json', {}, ip), 429);
    expectDetail(await get(t.system, '/no-such-path', {}, ip), 429);
    expect((await get(t.system, '/openapi.json', {}, '10.1.2.4')).statusCode).toBe(200);
  });

  it('never limits health, readiness and metrics', async () => {
    const ip = '10.9.9.9';
    for (let i = 0; i < LIMIT * 3; i++) {
      for (const url of ['/healthz', '/readyz', '/metrics']) expect((await get(t.system, url, {}, ip)).statusCode).toBe(200);
    }
  });
});

describe('the default budget', () => {
  it('allows at least 2,000 requests per second per key', () => {
    const config = loadConfig({});
    expect(config.RATE_LIMIT_MAX / (config.RATE_LIMIT_WINDOW_MS / 1000)).toBeGreaterThanOrEqual(2_000);
  });

  it('lets a burst of 2,000 requests of one key through', async () => {
    const t = await startTestSystem({}, 'api');
    try {
      const codes = new Map<number, number>();
      for (let batch = 0; batch < 20; batch++) {
        const answers = await Promise.all(Array.from({ length: 100 }, () => t.api('GET', '/campaigns?limit=1')));
        for (const answer of answers) codes.set(answer.statusCode, (codes.get(answer.statusCode) ?? 0) + 1);
      }
      expect(Object.fromEntries(codes)).toEqual({ 200: 2_000 });
    } finally {
      await t.close();
    }
  });
});

describe('with Redis down', () => {
  it('lets requests through instead of failing them', async () => {
    const redis = await startOwnRedis();
    const t = await startTestSystem({ REDIS_URL: redis.url, RATE_LIMIT_MAX: '1' }, 'api');
    try {
      expect((await t.api('GET', '/campaigns')).statusCode).toBe(200);
      expect((await t.api('GET', '/campaigns')).statusCode).toBe(429);
      await redis.stop();
      for (let i = 0; i < 3; i++) expect((await t.api('GET', '/campaigns')).statusCode).toBe(200);
    } finally {
      await redis.start();
      await eventually(
        () => t.system.app!.inject({ method: 'GET', url: '/readyz' }),
        (answer) => answer.json().redis === 'ok',
      );
      await t.close();
      await redis.stop();
    }
  });
});

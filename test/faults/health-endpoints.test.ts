import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../support/metrics.js';
import { eventually } from '../support/poll.js';
import { createProcessFixture, type ProcessFixture } from '../support/process-fixture.js';
import { stopOwnedProcesses } from '../support/processes.js';
import { startOwnRedis, type OwnRedis } from '../support/redis-server.js';
import { startSystemBehindProxy, type SystemProcess } from '../support/system-process.js';
import type { TcpProxy } from '../support/tcp-proxy.js';

/**
 * /healthz, /readyz and /metrics answer within 2 s whatever is down: the test's own Redis
 * suspended (SIGSTOP: connections stay open, nothing answers) or killed, PostgreSQL cut off
 * (a TCP proxy the test owns, closed). The system runs as a child process (`src/main.ts all`),
 * asked over real HTTP.
 */

const BOUND_MS = 2_000;

let redis: OwnRedis;
let proxy: TcpProxy;
let fixture: ProcessFixture;
let system: SystemProcess;

beforeAll(async () => {
  redis = await startOwnRedis();
  fixture = await createProcessFixture({ redisUrl: redis.url });
  ({ proxy, system } = await startSystemBehindProxy(
    'all',
    { databaseUrl: fixture.databaseUrl, redisUrl: redis.url, prefix: fixture.prefix },
    { HOPPER_INTERVAL_MS: '500', DATABASE_CONNECT_TIMEOUT_MS: '1000', DATABASE_POOL_SIZE: '4' },
  ));
});

afterAll(async () => {
  try {
    redis?.thaw();
    await proxy?.open();
    await system?.kill('SIGTERM');
    await fixture?.close();
    await proxy?.close();
  } finally {
    await stopOwnedProcesses();
  }
});

interface Answer {
  status: number;
  ms: number;
  text: string;
}

/** One GET, timed; a request that gets no answer within 10 s is status 0. */
async function get(path: string): Promise<Answer> {
  const started = performance.now();
  try {
    const response = await fetch(`${system.url}${path}`, { signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    return { status: response.status, ms: Math.round(performance.now() - started), text };
  } catch (error) {
    return { status: 0, ms: Math.round(performance.now() - started), text: String(error) };
  }
}

/** The slowest answer of each endpoint in each phase, for the log. */
const slowest: Record<string, Record<string, number>> = {};
let phase = 'up';

/** The three endpoints, one after the other, each within the bound. */
async function askAll() {
  const answers = { healthz: await get('/healthz'), readyz: await get('/readyz'), metrics: await get('/metrics') };
  for (const [endpoint, answer] of Object.entries(answers)) {
    const times = (slowest[phase] ??= {});
    times[endpoint] = Math.max(times[endpoint] ?? 0, answer.ms);
    expect(answer.ms, `${phase}: ${endpoint} answered ${answer.status} in ${answer.ms} ms`).toBeLessThan(BOUND_MS);
  }
  expect(answers.healthz.status).toBe(200);
  expect(answers.metrics.status, answers.metrics.text.slice(0, 300)).toBe(200);
  expect(answers.healthz.text).toBe('{"status":"ok"}');
  return { ...answers, readiness: JSON.parse(answers.readyz.text) as Record<string, string>, metricsText: answers.metrics.text };
}

const up = (text: string, dependency: 'postgres' | 'redis') => {
  const sample = new RegExp(`^campaign_dependency_up\\{dependency="${dependency}"\\} (\\d)$`, 'm').exec(text);
  if (!sample) throw new Error(`no campaign_dependency_up sample for ${dependency} in the scrape`);
  return Number(sample[1]);
};
const hasQueueDepths = (text: string) => /^campaign_queue_jobs\{/m.test(text);

const readyAgain = () =>
  eventually(
    async () => {
      const answers = await askAll();
      return { readiness: answers.readiness, redisUp: up(answers.metricsText, 'redis'), postgresUp: up(answers.metricsText, 'postgres') };
    },
    (state) => state.readiness.status === 'ready' && state.redisUp === 1 && state.postgresUp === 1,
    30_000,
  );

describe('health, readiness and metrics during outages', () => {
  it('answer within 2 s with the right content while Redis is suspended, killed, or PostgreSQL is cut off', async () => {
    const before = await askAll();
    expect(before.readyz.status).toBe(200);
    expect(before.readiness).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok' });
    expect(hasQueueDepths(before.metricsText)).toBe(true);

    // Redis suspended: its connections stay open and nothing answers, nothing errors.
    phase = 'redis suspended';
    redis.freeze();
    try {
      const suspended = await askAll();
      expect(suspended.readyz.status).toBe(503);
      expect(suspended.readiness).toEqual({ status: 'unavailable', postgres: 'ok', redis: 'timeout' });
      expect(up(suspended.metricsText, 'redis')).toBe(0);
      expect(up(suspended.metricsText, 'postgres')).toBe(1);
      // Depths that cannot be read are left out, not reported as stale or zero.
      expect(hasQueueDepths(suspended.metricsText)).toBe(false);
      expect(metricValue(suspended.metricsText, 'campaign_dependency_outages_total', { dependency: 'redis' })).toBe(1);
    } finally {
      redis.thaw();
    }
    phase = 'recovering';
    const thawed = await readyAgain();
    expect(thawed.readiness).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok' });
    expect(hasQueueDepths((await get('/metrics')).text)).toBe(true);

    // Redis killed: connections refused.
    phase = 'redis killed';
    await redis.stop();
    const killed = await askAll();
    expect(killed.readyz.status).toBe(503);
    expect(killed.readiness).toMatchObject({ status: 'unavailable', postgres: 'ok', redis: expect.not.stringMatching(/^ok$/) });
    expect(up(killed.metricsText, 'redis')).toBe(0);
    expect(hasQueueDepths(killed.metricsText)).toBe(false);
    phase = 'recovering';
    await redis.start();
    await readyAgain();

    // PostgreSQL cut off: the proxy refuses new connections and cuts the open ones.
    phase = 'postgres cut off';
    await proxy.close();
    const cut = await askAll();
    expect(cut.readyz.status).toBe(503);
    expect(cut.readiness).toEqual({ status: 'unavailable', postgres: 'unavailable', redis: 'ok' });
    expect(hasQueueDepths(cut.metricsText)).toBe(true);
    // The workers' next statement reports the outage; every scrape meanwhile answers in time.
    await eventually(
      async () => up((await askAll()).metricsText, 'postgres'),
      (value) => value === 0,
    );
    phase = 'recovering';
    await proxy.open();
    await readyAgain();
    console.log(`[faults] slowest answers (ms) per outage: ${JSON.stringify(slowest)}`);
  });
});

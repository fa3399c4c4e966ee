import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../support/harness.js';

/** One log line per request, at a level that follows its status, carrying the request id. */

const lines: Array<Record<string, unknown>> = [];
let t: TestSystem;

beforeAll(async () => {
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  t = await startTestSystem({ LOG_LEVEL: 'debug' }, 'api', { logger });
});
afterAll(async () => t?.close());

const linesOf = (requestId: string) => lines.filter((line) => line.request_id === requestId && line.msg !== undefined);

describe('request logging', () => {
  it('writes one line per request: debug for 2xx, info for 4xx, with method, url, status and time', async () => {
    const ok = await t.api('GET', '/campaigns', undefined, { 'x-request-id': 'log-test-ok' });
    const missing = await t.api('GET', '/campaigns/0b6f0d3e-8a41-4d4e-9a0e-3f1f6f1c2a10', undefined, { 'x-request-id': 'log-test-404' });
    expect([ok.statusCode, missing.statusCode]).toEqual([200, 404]);

    const [okLine, ...okRest] = linesOf('log-test-ok');
    expect(okRest).toEqual([]);
    expect(okLine).toMatchObject({ level: 20, msg: 'request completed', method: 'GET', url: '/campaigns', status: 200 });
    expect(okLine!.ms).toEqual(expect.any(Number));

    const [missingLine, ...missingRest] = linesOf('log-test-404');
    expect(missingRest).toEqual([]);
    expect(missingLine).toMatchObject({ level: 30, msg: 'request completed', status: 404 });
  });

  it('never writes the API key', async () => {
    await t.api('GET', '/campaigns', undefined, { 'x-request-id': 'log-test-key' });
    expect(JSON.stringify(lines)).not.toContain(t.org.apiKey);
  });
});

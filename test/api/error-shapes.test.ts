import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startSystem, type System } from '../../src/system.js';
import { uniqueName } from '../support/databases.js';
import { eventually } from '../support/poll.js';
import { apiWithCampaign, campaignInput } from '../support/campaigns.js';
import { TEST_JWT_SECRET } from '../support/harness.js';
import { startOwnRedis, type OwnRedis } from '../support/redis-server.js';
import { expectDetail, expectValidationError } from '../support/responses.js';

// Every 4xx/5xx answers `{"detail": "..."}` or the execution contract's 422 shape, never Fastify's own
// `{"error", "message", "statusCode"}`, and never echoes a long or hostile request back.

const suite = apiWithCampaign();

const send = (options: { method?: string; url: string; headers?: Record<string, string>; payload?: string }) =>
  suite.t.system.app!.inject({
    method: (options.method ?? 'POST') as 'POST',
    url: options.url,
    headers: { 'x-api-key': suite.t.org.apiKey, ...options.headers },
    ...(options.payload === undefined ? {} : { payload: options.payload }),
  });

describe('routing errors', () => {
  it('answers 405 with an Allow header for an unknown method on a known path', async () => {
    const response = await send({ method: 'DELETE', url: `/campaigns/${suite.campaignId}` });
    expect(expectDetail(response, 405)).toContain('DELETE');
    expect(response.headers.allow).toBe('GET, HEAD, PATCH');
    const put = await send({ method: 'PUT', url: `/campaigns/${suite.campaignId}/start` });
    expectDetail(put, 405);
    expect(put.headers.allow).toBe('POST');
  });

  it('answers 404 for an unknown path, without echoing a long one', async () => {
    expect(expectDetail(await send({ method: 'GET', url: '/nowhere' }), 404)).toBe('No route for GET /nowhere.');
    const long = `/nowhere/${'x'.repeat(5_000)}`;
    expect(expectDetail(await send({ method: 'GET', url: long }), 404).length).toBeLessThan(200);
  });

  it('answers 414 for a path parameter over 100 characters, without echoing it', async () => {
    const detail = expectDetail(await send({ method: 'GET', url: `/campaigns/${'a'.repeat(150)}` }), 414);
    expect(detail).not.toContain('aaaa');
  });

  it('answers 400 for a malformed percent-encoding', async () => {
    expect(expectDetail(await send({ method: 'GET', url: '/campaigns/%E0%A4%A' }), 400)).not.toContain('%E0');
  });
});

describe('body errors', () => {
  it('answers 413 for a body over the limit', async () => {
    const payload = JSON.stringify(campaignInput({ goal: 'x'.repeat(1_100_000) }));
    expectDetail(await send({ url: '/campaigns', headers: { 'content-type': 'application/json' }, payload }), 413);
  });

  it.each(['text/plain', 'application/xml', 'application/x-www-form-urlencoded'])('answers 415 for a %s body', async (type) => {
    const detail = expectDetail(await send({ url: '/campaigns', headers: { 'content-type': type }, payload: 'name=x' }), 415);
    expect(detail).toContain('application/json');
  });

  it('answers 422 in the execution contract shape for JSON that does not parse, or smuggles a prototype', async () => {
    for (const payload of ['{"name": ', '{"__proto__": {"admin": true}}', '{"constructor": {"prototype": {"x": 1}}}']) {
      expectValidationError(await send({ url: '/campaigns', headers: { 'content-type': 'application/json' }, payload }), ['body'], 'json_invalid');
    }
  });

  it('answers 400 for a body that does not match its Content-Length', async () => {
    const response = await send({ url: '/campaigns', headers: { 'content-type': 'application/json', 'content-length': '3' }, payload: '{"name":"x"}' });
    expectDetail(response, 400);
  });
});

describe('wrong types say what is wrong', () => {
  it.each([
    ['limit=abc', '/campaigns?limit=abc', ['query', 'limit'], /integer/],
    ['limit=0x10 (only decimal digits)', '/campaigns?limit=0x10', ['query', 'limit'], /integer/],
    ['limit=1e1', '/campaigns?limit=1e1', ['query', 'limit'], /integer/],
    ['limit=0', '/campaigns?limit=0', ['query', 'limit'], /1/],
  ])('GET %s', async (_case, url, loc, message) => {
    const response = await send({ method: 'GET', url });
    expectValidationError(response, loc);
    const item = response.json().detail[0];
    expect(item.type).not.toBe('missing');
    expect(item.msg).toMatch(message);
  });

  it('reads limit=16 as 16', async () => {
    expect((await send({ method: 'GET', url: '/campaigns?limit=16' })).statusCode).toBe(200);
  });

  it.each([
    ['whatsapp_after_attempts: 1.5', '/campaigns', campaignInput({ whatsapp_after_attempts: 1.5 }), ['body', 'whatsapp_after_attempts'], /integer.*fraction/],
    ['agent_id: null', '/campaigns', campaignInput({ agent_id: null }), ['body', 'agent_id'], /UUID/],
    ['name: 7', '/campaigns', campaignInput({ name: 7 }), ['body', 'name'], /string.*number/],
    ['a {} targets body', 'TARGETS', {}, ['body'], /array.*object/],
  ])('POST with %s', async (_case, url, body, loc, message) => {
    const response = await suite.t.api('POST', url === 'TARGETS' ? `/campaigns/${suite.campaignId}/targets` : url, body);
    expectValidationError(response, loc);
    const item = response.json().detail.find((candidate: { loc: unknown[] }) => JSON.stringify(candidate.loc) === JSON.stringify(loc));
    expect(item.type).not.toBe('missing');
    expect(item.msg).toMatch(message);
  });

  it('says "missing" only for a truly absent field or body', async () => {
    const response = await suite.t.api('POST', '/campaigns', { agent_id: campaignInput().agent_id });
    expect(response.json().detail).toEqual([{ loc: ['body', 'name'], msg: 'Field required', type: 'missing' }]);
    expect((await send({ url: '/campaigns' })).json().detail).toEqual([{ loc: ['body'], msg: 'Field required', type: 'missing' }]);
  });

  it('keeps a key holding "/" whole in the location', async () => {
    const response = await suite.t.api('POST', `/campaigns/${suite.campaignId}/targets`, [{ phone: '+14155550100', variables: { 'a/b': 'x\u0000' } }]);
    expect(response.json().invalid[0].errors[0].loc).toEqual(['variables', 'a/b']);
  });
});

describe("requests refused by Node's HTTP parser", () => {
  let address: { port: number };
  beforeAll(async () => {
    await suite.t.system.app!.listen({ host: '127.0.0.1', port: 0 });
    address = suite.t.system.app!.server.address() as { port: number };
  });

  async function rawRequest(text: string): Promise<{ status: number; body: string; text: string }> {
    const socket: Socket = connect(address.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(text);
    await new Promise((resolve) => socket.once('close', resolve));
    const answer = Buffer.concat(chunks).toString('utf8');
    const [head, body = ''] = answer.split('\r\n\r\n');
    return { status: Number(head!.split(' ')[1]), body, text: answer };
  }

  it('answers a malformed Content-Length with {detail}', async () => {
    const answer = await rawRequest('POST /campaigns HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}');
    expect(answer.status).toBe(400);
    expect(Object.keys(JSON.parse(answer.body))).toEqual(['detail']);
  });

  it('answers an HTTP/1.1 request without a Host header with 400 and {detail}, and still serves HTTP/1.0 without one', async () => {
    const answer = await rawRequest('GET /healthz HTTP/1.1\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ detail: expect.stringContaining('Host') });
    const authenticated = await rawRequest(`GET /campaigns HTTP/1.1\r\nX-API-Key: ${suite.t.org.apiKey}\r\n\r\n`);
    expect(authenticated.status).toBe(400);
    expect(JSON.parse(authenticated.body)).toEqual({ detail: expect.stringContaining('Host') });
    expect((await rawRequest('GET /nowhere HTTP/1.1\r\n\r\n')).status).toBe(400);
    expect((await rawRequest('GET /healthz HTTP/1.0\r\n\r\n')).status).toBe(200);
  });

  it('answers an Expect header other than 100-continue with 417 and {detail}; 100-continue still works', async () => {
    const body = JSON.stringify(campaignInput());
    const headers = `Host: x\r\nX-API-Key: ${suite.t.org.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close`;
    const refused = await rawRequest(`POST /campaigns HTTP/1.1\r\n${headers}\r\nExpect: 42-bogus\r\n\r\n${body}`);
    expect(refused.status).toBe(417);
    expect(JSON.parse(refused.body)).toEqual({ detail: expect.stringContaining('100-continue') });
    const continued = await rawRequest(`POST /campaigns HTTP/1.1\r\n${headers}\r\nExpect: 100-continue\r\n\r\n${body}`);
    expect(continued.status).toBe(100);
    expect(continued.text).toContain('HTTP/1.1 201 Created');
  });

  it('answers oversized headers with {detail}', async () => {
    const answer = await rawRequest(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
    expect(answer.status).toBe(431);
    expect(Object.keys(JSON.parse(answer.body))).toEqual(['detail']);
  });
});

describe('/readyz', () => {
  let silent: Server;
  const accepted = new Set<Socket>();
  let redis: OwnRedis;
  let down: System;
  beforeAll(async () => {
    // Accepts connections and never answers: a PostgreSQL that hangs.
    silent = createServer((socket) => {
      accepted.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    redis = await startOwnRedis();
    down = await startSystem(
      loadConfig({
        NODE_ENV: 'test',
        DATABASE_URL: `postgresql://postgres@127.0.0.1:${silentPort}/nowhere`,
        REDIS_URL: redis.url,
        QUEUE_PREFIX: uniqueName('readyz'),
        JWT_SECRET: TEST_JWT_SECRET,
      }),
      'api',
      { logger: createLogger('silent') },
    );
    await eventually(
      () => down.app!.inject({ method: 'GET', url: '/readyz' }),
      (answer) => answer.json().redis === 'ok',
    );
    await redis.stop();
  });
  afterAll(async () => {
    for (const socket of accepted) socket.destroy();
    silent?.close();
    await redis?.start();
    // Closing while the connections are still reconnecting would wait for them.
    if (down)
      await eventually(
        () => down.app!.inject({ method: 'GET', url: '/readyz' }),
        (answer) => answer.json().redis === 'ok',
      );
    await down?.close().catch(() => undefined);
    await redis?.stop();
  });

  it('names the failing dependency and how it failed, without hosts, ports or driver errors', async () => {
    const response = await eventually(
      () => down.app!.inject({ method: 'GET', url: '/readyz' }),
      (answer) => answer.json().redis === 'unavailable',
    );
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'unavailable', postgres: 'timeout', redis: 'unavailable' });
  });

  it('says ok for both on a healthy system', async () => {
    expect((await suite.t.system.app!.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok' });
  });
});

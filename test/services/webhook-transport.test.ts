import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookTransport } from '../../src/services/webhook-transport.js';

/* The delivery HTTP client against a real local server: no redirects, a timeout, private addresses refused. */

let server: Server;
let base: string;
let hits = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    hits += 1;
    if (request.url === '/redirect') response.writeHead(302, { location: '/ok' }).end();
    else if (request.url === '/slow') setTimeout(() => response.writeHead(200).end(), 2_000);
    else if (request.url === '/big') response.writeHead(200).end('x'.repeat(1_000_000));
    else response.writeHead(200).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the webhook transport', () => {
  const transport = createWebhookTransport({ timeoutMs: 300, allowPrivate: true });
  afterAll(() => transport.close());

  it('answers the status, and does not follow a redirect', async () => {
    expect(await transport.send(`${base}/ok`, '{}', {})).toEqual({ status: 200 });
    const before = hits;
    expect(await transport.send(`${base}/redirect`, '{}', {})).toEqual({ status: 302 });
    expect(hits).toBe(before + 1);
  });

  it('gives up on a slow receiver at the timeout, and reads little of a large answer', async () => {
    const started = Date.now();
    expect(await transport.send(`${base}/slow`, '{}', {})).toEqual({ error: 'no answer within 300 ms' });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await transport.send(`${base}/big`, '{}', {})).toEqual({ status: 200 });
  });

  it('refuses a name that resolves to a private address unless private URLs are allowed', async () => {
    const strict = createWebhookTransport({ timeoutMs: 1_000, allowPrivate: false });
    try {
      const before = hits;
      const port = new URL(base).port;
      expect(await strict.send(`http://localhost:${port}/ok`, '{}', {})).toEqual({ error: 'EPRIVATE' });
      // An address in the URL is connected to without a lookup: refused too.
      expect(await strict.send(`${base}/ok`, '{}', {})).toEqual({ error: 'EPRIVATE' });
      expect(hits).toBe(before);
    } finally {
      await strict.close();
    }
  });
});

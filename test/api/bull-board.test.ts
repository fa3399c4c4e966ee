import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADMIN_CHALLENGE, adminPlugin, type AdminDeps } from '../../src/api/admin.js';
import { QueueName } from '../../src/queues/names.js';
import { CHROMIUM_PATH } from '../support/chromium.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
const USER = 'ops';
const PASSWORD = 'correct horse battery staple';
const QUEUE_NAMES = Object.values(QueueName);
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('Bull Board at /admin/queues with ADMIN_USER and ADMIN_PASSWORD', () => {
  let t: TestSystem;
  let browser: Browser | undefined;
  let base: string;

  beforeAll(async () => {
    t = await startTestSystem({ ADMIN_USER: USER, ADMIN_PASSWORD: PASSWORD });
    await t.system.app!.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.system.app!.server.address() as AddressInfo).port}`;
    // Never skipped: the global set-up installed the browser, or stopped the run saying why it could not.
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** A browser context that only reaches the system under test (the board links a web font). */
  async function newPage(credentials?: { username: string; password: string }) {
    const context = await browser!.newContext(credentials ? { httpCredentials: credentials } : {});
    await context.route('**/*', (route) => (new URL(route.request().url()).origin === base ? route.continue() : route.abort('blockedbyclient')));
    return context.newPage();
  }

  it('renders every queue of the system in a real browser for the right user', async () => {
    const page = await newPage({ username: USER, password: PASSWORD });
    const failedAssets: string[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(base) && response.status() >= 400) failedAssets.push(`${response.status()} ${response.url()}`);
    });
    const response = await page.goto(`${base}/admin/queues`);
    expect(response?.status()).toBe(200);
    for (const name of QUEUE_NAMES) {
      await page.getByText(name, { exact: true }).first().waitFor({ state: 'visible', timeout: 15_000 });
    }
    const text = await page.locator('body').innerText();
    for (const name of QUEUE_NAMES) expect(text).toContain(name);
    // The board's JS, CSS and JSON API calls all passed the auth hook.
    expect(failedAssets).toEqual([]);
    if (process.env.BULL_BOARD_SCREENSHOT) await page.screenshot({ path: process.env.BULL_BOARD_SCREENSHOT, fullPage: true });
    await page.context().close();
  });

  it('refuses a wrong password with 401 on navigation', async () => {
    const page = await newPage({ username: USER, password: 'wrong password' });
    const response = await page.goto(`${base}/admin/queues`);
    expect(response?.status()).toBe(401);
    expect(await page.locator('body').innerText()).not.toContain(QueueName.Lifecycle);
    await page.context().close();
  });

  const inject = (url: string, headers: Record<string, string> = {}) => t.system.app!.inject({ method: 'GET', url, headers });

  it.each([
    ['no credentials', {}, /Authentication required/],
    ['a wrong password', { authorization: basic(USER, 'nope') }, /wrong/],
    ['a wrong user', { authorization: basic('root', PASSWORD) }, /wrong/],
    ['a malformed header', { authorization: 'Basic !!!' }, /Authentication required/],
    ['an API key instead', { 'x-api-key': 'cek_whatever' }, /Authentication required/],
  ])('answers 401 with the challenge and a JSON detail to %s', async (_case, headers, detail) => {
    for (const url of ['/admin/queues', '/admin/queues/', '/admin/queues/api/queues', '/admin/queues/static/images/logo.svg']) {
      const response = await inject(url, headers);
      expect(response.statusCode, url).toBe(401);
      expect(response.headers['www-authenticate']).toBe(ADMIN_CHALLENGE);
      expect(response.json()).toEqual({ detail: expect.stringMatching(detail) });
    }
  });

  it('serves the page, its static assets and its API behind the same credentials', async () => {
    const auth = { authorization: basic(USER, PASSWORD) };
    const page = await inject('/admin/queues', auth);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('<base href="/admin/queues/"');
    const assets = [...page.body.matchAll(/(?:src|href)="(static\/[^"]+)"/g)].map((match) => `/admin/queues/${match[1]}`);
    expect(assets.some((asset) => asset.endsWith('.js'))).toBe(true);
    expect(assets.some((asset) => asset.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      expect((await inject(asset, auth)).statusCode, asset).toBe(200);
      expect((await inject(asset)).statusCode, asset).toBe(401);
    }
    const api = await inject('/admin/queues/api/queues', auth);
    expect(api.statusCode).toBe(200);
    const listed = (api.json().queues as Array<{ name: string }>).map((queue) => queue.name);
    expect(listed.sort()).toEqual([...QUEUE_NAMES].sort());
  });

  it('stays out of the OpenAPI document and leaves the API error handling alone', async () => {
    const document = (await inject('/openapi.json')).json();
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/admin'))).toEqual([]);
    // Basic credentials are no API credentials, and other routes keep their error shapes.
    const campaigns = await inject('/campaigns', { authorization: basic(USER, PASSWORD) });
    expect(campaigns.statusCode).toBe(401);
    expect(campaigns.headers['www-authenticate']).toBeUndefined();
    expect(campaigns.json()).toEqual({ detail: expect.any(String) });
    const missing = await inject('/nowhere');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ detail: 'No route for GET /nowhere.' });
  });
});

describe('Bull Board without ADMIN_USER and ADMIN_PASSWORD', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await startTestSystem({}, 'api');
  });
  afterAll(() => t?.close());

  it('is not mounted: /admin/queues answers 404', async () => {
    for (const url of ['/admin/queues', '/admin/queues/', '/admin/queues/api/queues']) {
      const response = await t.system.app!.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['www-authenticate']).toBeUndefined();
    }
  });
});

describe('adminPlugin without both credentials', () => {
  async function mount(env: Partial<AdminDeps['config']>) {
    const logger = { warn: vi.fn(), info: vi.fn() };
    const app = Fastify();
    const deps = {
      config: { NODE_ENV: 'development', ...env },
      deps: { queues: { all: () => [] }, logger },
    } as unknown as AdminDeps;
    await app.register(adminPlugin, deps);
    const status = (await app.inject({ method: 'GET', url: '/admin/queues' })).statusCode;
    await app.close();
    return { logger, status };
  }

  it.each(['development', 'test'] as const)('refuses to mount in %s and says how to enable it', async (NODE_ENV) => {
    const { logger, status } = await mount({ NODE_ENV, ADMIN_PASSWORD: 'secret', ADMIN_USER: '' });
    expect(status).toBe(404);
    expect(logger.warn).not.toHaveBeenCalled();
    expect(logger.info).toHaveBeenCalledExactlyOnceWith(expect.stringMatching(/set ADMIN_USER and ADMIN_PASSWORD .*\/admin\/queues/));
  });
});

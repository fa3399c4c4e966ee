import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_WEEK, campaignApiReader, createCampaign, waitCampaignDone, type CampaignReader } from '../support/campaigns.js';
import { readDialerExamples } from '../support/dialer-examples.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { createProcesses } from '../support/processes.js';

/**
 * The two HTTP dialers of docs/dialers.md, JavaScript and TypeScript, run as they are written
 * (`node dialer-http.mjs`, `tsx dialer-http.ts`) with the environment the page tells the reader
 * to set. Only the providers (`telephony`, `whatsappApi`) are stubs: each dial and send prints a
 * line. A proxy in front of the API answers the first report of each call and message with a
 * 503: the campaign completes only if the programs retry their reports, and each target is
 * contacted once only if they never retry the contact.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { programs } = readDialerExamples();

const PROVIDERS = `const telephony = { dial: async (phone, call) => { console.log('DIAL ' + call.call_id); return { connected: true, seconds: 30 }; } };
const whatsappApi = { send: async (number) => { console.log('SEND ' + number); return true; } };
`;

const processes = createProcesses();
let t: TestSystem;
let work: string;
let proxy: Server;
let proxyUrl: string;
const refused: string[] = [];

beforeAll(async () => {
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '200' });
  await t.system.app!.listen({ port: 0, host: '127.0.0.1' });
  const api = `http://127.0.0.1:${(t.system.app!.server.address() as AddressInfo).port}`;
  // Saved inside the repository, as the reader would, so that `bullmq` resolves from its node_modules.
  await mkdir(join(ROOT, '.scratch'), { recursive: true });
  work = await mkdtemp(join(ROOT, '.scratch', 'dialer-programs-'));

  const failedOnce = new Set<string>();
  proxy = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = request.url!;
    if (/\/(outcome|events)$/.test(path) && !failedOnce.has(path)) {
      failedOnce.add(path);
      refused.push(path);
      response.writeHead(503, { 'content-type': 'application/json' }).end('{"detail":"The proxy refuses the first report."}');
      return;
    }
    const forwarded = await fetch(api + path, {
      method: request.method,
      headers: Object.fromEntries(Object.entries(request.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name))) as Record<
        string,
        string
      >,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    response.writeHead(forwarded.status, { 'content-type': forwarded.headers.get('content-type') ?? 'application/json' }).end(await forwarded.text());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  processes.killAll();
  await new Promise((resolve) => proxy?.close(resolve));
  await t?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the HTTP dialers of docs/dialers.md', () => {
  for (const [file, command] of [
    ['dialer-http.mjs', 'node'],
    ['dialer-http.ts', join(ROOT, 'node_modules/.bin/tsx')],
  ] as const) {
    it(`${file} completes a campaign, retrying refused reports and contacting each target once`, { timeout: 45_000 }, async () => {
      refused.length = 0;
      const program = programs[file];
      expect(program, `docs/dialers.md has no ${file} block`).toBeDefined();
      await writeFile(join(work, file), PROVIDERS + program);

      const id = await createCampaign(t, {
        settings: { call_working_hours: ALL_WEEK, whatsapp_channel_id: '5b1c1a52-53b4-4a39-8d0e-2f9d6f4b8c02', whatsapp_first_message: 'Hi!' },
        targets: [{ phone: '+14155550171' }, { phone: '+14155550172' }, { whatsapp: '+14155550173' }],
      });
      const dialer = processes.start(command, [file], {
        cwd: work,
        env: { ...process.env, CAMPAIGN_API_KEY: t.org.apiKey, API_URL: proxyUrl, REDIS_URL: t.config.REDIS_URL, QUEUE_PREFIX: t.config.QUEUE_PREFIX },
      });
      try {
        expect((await t.api('POST', `/campaigns/${id}/start`)).statusCode).toBe(200);
        const campaigns = campaignApiReader(t);
        const whileTheProgramRuns: CampaignReader = {
          ...campaigns,
          status: async (campaignId) => {
            if (dialer.hasExited()) throw new Error(`${file} exited:\n${processes.tail(dialer.output())}`);
            return campaigns.status(campaignId);
          },
        };
        await waitCampaignDone(whileTheProgramRuns, id, { timeoutMs: 30_000 });
      } finally {
        await processes.stop(dialer);
      }

      const calls = (await t.api('GET', `/campaigns/${id}/calls`)).json().items as Array<{ id: string; status: string }>;
      expect(calls.map((call) => call.status)).toEqual(['answered', 'answered']);
      const dials = [...dialer.output().matchAll(/^DIAL (\S+)$/gm)].map((match) => match[1]);
      expect(dials.sort()).toEqual(calls.map((call) => call.id).sort());
      expect([...dialer.output().matchAll(/^SEND (\S+)$/gm)].map((match) => match[1])).toEqual(['+14155550173']);
      // Each report was refused once, and sent again: the two outcomes and the message's `sent`.
      expect(refused.filter((path) => path.startsWith('/calls/')).sort()).toEqual(calls.map((call) => `/calls/${call.id}/outcome`).sort());
      expect(refused.filter((path) => path.startsWith('/whatsapp-messages/'))).toHaveLength(1);
      const stats = (await t.api('GET', `/campaigns/${id}/stats`)).json();
      expect(stats.whatsapp_messages).toEqual({ sent: 1 });
    });
  }
});

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import getPort from 'get-port';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDialer } from '../support/contacts.js';
import { ALL_WEEK, createCampaign, waitCampaignDone } from '../support/campaigns.js';
import { startTestSystem, type TestOrganization, type TestSystem } from '../support/harness.js';
import { deliverWebhook } from '../../src/services/webhook-delivery.js';
import { fencedBlocks, readMarkdown } from '../support/markdown.js';
import { eventually } from '../support/poll.js';
import { spawnOwned } from '../support/processes.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

/*
 * Signed webhooks (docs/webhooks.md) with a real receiver that verifies every delivery with the
 * Standard Webhooks reference library. Real clock: receivers check the timestamp against theirs.
 */

let t: TestSystem;
let dialer: ReturnType<typeof startTestDialer>;

beforeAll(async () => {
  t = await startTestSystem({
    HOPPER_INTERVAL_MS: '100',
    RECONCILE_INTERVAL_MS: '500',
    RECONCILE_GRACE_MS: '1000',
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    WEBHOOK_RETRY_DELAYS_MS: '200,400,800,1600,3200',
  });
  dialer = startTestDialer(t, () => new Date());
});
afterAll(async () => {
  await dialer?.close();
  await t?.close();
});

async function register(org: TestOrganization, url: string, events: string[] = []) {
  const created = await org.api('POST', '/webhook-endpoints', { url, events, description: 'test receiver' });
  expect(created.statusCode, created.body).toBe(201);
  return created.json() as { id: string; secret: string; enabled: boolean };
}

const deliveriesOf = async (org: TestOrganization, endpointId: string) =>
  (await org.api('GET', `/webhook-endpoints/${endpointId}/deliveries?limit=500`)).json().items as Array<{
    event_type: string;
    status: string;
    attempts: number;
    last_status_code: number | null;
  }>;

describe('a whole campaign', () => {
  it('arrives signed, each event once per webhook-id, each target in its order', async () => {
    const org = await t.newOrganization();
    const receiver = await startWebhookReceiver();
    try {
      const endpoint = await register(org, receiver.url);
      expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
      // Stored sealed: the database holds neither the secret nor its key bytes.
      const [stored] = await t.prisma.webhookEndpoint.findMany({ where: { id: endpoint.id } });
      expect(stored!.secretSealed).not.toContain(endpoint.secret.slice('whsec_'.length));
      expect(stored!.secretSealed).toMatch(/^v1\./);
      receiver.trust(endpoint.secret);
      const id = await createCampaign(t, {
        settings: { call_working_hours: ALL_WEEK, call_attempt_delays: [0] },
        targets: [
          { phone: '+14155550601', variables: { calls: ['answered'] } },
          { phone: '+14155550602', variables: { calls: ['busy', 'no_answer'] } },
        ],
        start: true,
        headers: { 'x-api-key': org.apiKey },
      });
      await waitCampaignDone({ ...t, api: org.api }, id);
      await eventually(
        async () => receiver.received.map((event) => event.type),
        (types) => types.includes('campaign.completed'),
      );
      expect(receiver.rejected).toEqual([]);
      const types = receiver.received.map((event) => event.type);
      expect(types.filter((type) => type === 'campaign.status_changed')).toHaveLength(2);
      expect(types.filter((type) => type === 'call.ended')).toHaveLength(3);
      for (const type of ['campaign.completed', 'target.reached', 'target.goal_met', 'target.round_ended']) expect(types).toContain(type);
      // Deduplicable: one webhook-id per event.
      expect(new Set(receiver.received.map((event) => event.id)).size).toBe(receiver.received.length);
      // Ordered by sequence, each target's events follow its changes.
      const bySequence = [...receiver.received].sort((a, b) => a.data.sequence - b.data.sequence);
      const reachedTarget = bySequence.find((event) => event.type === 'target.reached')!.data.target_id;
      const answered = bySequence.filter((event) => event.data.target_id === reachedTarget);
      expect(answered.map((event) => event.type)).toEqual(['call.ended', 'target.reached', 'target.goal_met', 'target.round_ended']);
      const statusChanges = bySequence
        .filter((event) => event.type === 'campaign.status_changed')
        .map((event) => [event.data.from, event.data.to, event.data.actor]);
      expect(statusChanges).toEqual([
        ['draft', 'running', expect.stringMatching(/^api_key:/)],
        ['running', 'done', 'system'],
      ]);
      // The receiver has the last event before the system has its answer recorded: wait for the log.
      const deliveries = await eventually(
        () => deliveriesOf(org, endpoint.id),
        (rows) => rows.every((delivery) => delivery.status !== 'pending'),
      );
      expect(deliveries.every((delivery) => delivery.status === 'delivered' && delivery.last_status_code === 200)).toBe(true);
    } finally {
      await receiver.close();
    }
  });
});

describe('a receiver down for a while', () => {
  it('gets every event once it is back, retried with backoff', async () => {
    const org = await t.newOrganization();
    const receiver = await startWebhookReceiver();
    try {
      receiver.answerWith((request) => (request <= 3 ? 503 : 200));
      const endpoint = await register(org, receiver.url, ['campaign.status_changed', 'campaign.completed']);
      receiver.trust(endpoint.secret);
      const id = await createCampaign(t, { start: true, headers: { 'x-api-key': org.apiKey } });
      await waitCampaignDone({ ...t, api: org.api }, id);
      await eventually(
        () => deliveriesOf(org, endpoint.id),
        (deliveries) => deliveries.length === 3 && deliveries.every((delivery) => delivery.status === 'delivered'),
      );
      expect(receiver.received.map((event) => event.type).sort()).toEqual(['campaign.completed', 'campaign.status_changed', 'campaign.status_changed']);
      expect((await deliveriesOf(org, endpoint.id)).some((delivery) => delivery.attempts > 1)).toBe(true);
    } finally {
      await receiver.close();
    }
  });
});

describe('a rotated secret', () => {
  it('signs with both secrets during the overlap: each verifies on its own', async () => {
    const org = await t.newOrganization();
    const receiver = await startWebhookReceiver();
    try {
      const endpoint = await register(org, receiver.url, ['campaign.completed']);
      const rotated = await org.api('POST', `/webhook-endpoints/${endpoint.id}/rotate-secret`);
      expect(rotated.statusCode).toBe(200);
      const { secret, previous_secret_expires_at } = rotated.json() as { secret: string; previous_secret_expires_at: string };
      expect(secret).not.toBe(endpoint.secret);
      expect(Date.parse(previous_secret_expires_at) - Date.now()).toBeGreaterThan(23 * 3600_000);
      receiver.trust(secret);
      await createCampaign(t, { start: true, headers: { 'x-api-key': org.apiKey } });
      const [event] = await eventually(
        async () => receiver.received,
        (events) => events.length === 1,
      );
      const headers = event!.headers as Record<string, string>;
      expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
      expect(() => new Webhook(endpoint.secret).verify(event!.body, headers)).not.toThrow();
      expect(() => new Webhook(secret).verify(event!.body, headers)).not.toThrow();
    } finally {
      await receiver.close();
    }
  });
});

describe('410 Gone', () => {
  it('disables the endpoint and says why', async () => {
    const org = await t.newOrganization();
    const receiver = await startWebhookReceiver();
    try {
      receiver.answerWith(() => 410);
      const endpoint = await register(org, receiver.url, ['campaign.status_changed']);
      receiver.trust(endpoint.secret);
      await createCampaign(t, { start: true, headers: { 'x-api-key': org.apiKey } });
      const disabled = await eventually(
        async () => (await org.api('GET', `/webhook-endpoints/${endpoint.id}`)).json(),
        (body) => body.enabled === false,
      );
      expect(disabled.disabled_reason).toBe('the endpoint answered 410 Gone');
      // The endpoint is disabled first, then its pending deliveries fail: wait for the log.
      const deliveries = await eventually(
        () => deliveriesOf(org, endpoint.id),
        (rows) => rows.every((delivery) => delivery.status !== 'pending'),
      );
      expect(deliveries.every((delivery) => delivery.status === 'failed')).toBe(true);
    } finally {
      await receiver.close();
    }
  });
});

describe('the endpoints API', () => {
  it('lists, changes, replays and deletes', async () => {
    const org = await t.newOrganization();
    const receiver = await startWebhookReceiver();
    try {
      const endpoint = await register(org, receiver.url, ['campaign.completed']);
      receiver.trust(endpoint.secret);
      expect((await org.api('GET', '/webhook-endpoints')).json().items).toEqual([expect.objectContaining({ id: endpoint.id, events: ['campaign.completed'] })]);
      await createCampaign(t, { start: true, headers: { 'x-api-key': org.apiKey } });
      const [first] = await eventually(
        async () => receiver.received,
        (events) => events.length === 1,
      );
      const replayed = await org.api('POST', `/webhook-endpoints/${endpoint.id}/replay`, { event_id: first!.id });
      expect(replayed.statusCode).toBe(202);
      expect(replayed.json()).toEqual({ replayed: 1 });
      const twice = await eventually(
        async () => receiver.received,
        (events) => events.length === 2,
      );
      expect(twice[1]!.id).toBe(first!.id);
      const since = await org.api('POST', `/webhook-endpoints/${endpoint.id}/replay`, { since: new Date(Date.now() - 3600_000).toISOString() });
      expect(since.json()).toEqual({ replayed: 1 });
      await eventually(
        async () => receiver.received.length,
        (n) => n === 3,
      );

      // A stray copy of a job whose attempt was made already does nothing.
      const [pending] = await t.prisma.webhookDelivery.findMany({ where: { endpointId: endpoint.id }, take: 1 });
      await t.prisma.webhookDelivery.update({
        where: { id: pending!.id },
        data: { status: 'pending', attempts: 1, nextAttemptAt: new Date(Date.now() + 3600_000) },
      });
      const requests = receiver.requests;
      expect(await deliverWebhook(t.system.deps, { id: pending!.id, attempts: 0 })).toEqual({ status: 'skipped' });
      expect(receiver.requests).toBe(requests);
      await t.prisma.webhookDelivery.update({ where: { id: pending!.id }, data: { status: 'delivered' } });

      const patched = await org.api('PATCH', `/webhook-endpoints/${endpoint.id}`, { enabled: false, description: null });
      expect(patched.json()).toMatchObject({ enabled: false, description: null, disabled_reason: null });
      expect((await org.api('PATCH', `/webhook-endpoints/${endpoint.id}`, { events: ['call.ended', 'call.ended'] })).statusCode).toBe(422);
      expect((await org.api('DELETE', `/webhook-endpoints/${endpoint.id}`)).json()).toMatchObject({ id: endpoint.id });
      expect((await org.api('GET', `/webhook-endpoints/${endpoint.id}`)).statusCode).toBe(404);
      // Another organization's endpoint is not found.
      const other = await register(org, receiver.url);
      expect((await t.api('GET', `/webhook-endpoints/${other.id}`)).statusCode).toBe(404);
    } finally {
      await receiver.close();
    }
  });

  it.each([
    ['an unknown event type', { url: 'http://127.0.0.1:9/hooks', events: ['campaign.deleted'] }, ['body', 'events', 0]],
    ['a URL that is not one', { url: 'not a url' }, ['body', 'url']],
    ['a URL with credentials', { url: 'http://user:pass@127.0.0.1:9/hooks' }, ['body', 'url']],
    ['a field of its own', { url: 'http://127.0.0.1:9/hooks', secret: 'mine' }, ['body']],
  ])('refuses %s with 422', async (_, body, loc) => {
    const answer = await t.api('POST', '/webhook-endpoints', body);
    expect(answer.statusCode).toBe(422);
    expect((answer.json().detail as Array<{ loc: unknown[] }>).map((detail) => detail.loc)).toContainEqual(loc);
  });
});

describe('the receiver of docs/webhooks.md', () => {
  it('runs as written and prints every event it verified, once', async () => {
    const block = fencedBlocks(readMarkdown('docs/webhooks.md')).find((candidate) => candidate.name === 'receiver.mjs')!;
    expect(block.content.trim().split('\n')).toHaveLength(15);
    // Inside node_modules, so its import of standardwebhooks resolves as in a project that installed it.
    const dir = join('node_modules', '.cache', `webhook-receiver-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'receiver.mjs'), block.content);
    const org = await t.newOrganization();
    const port = await getPort();
    const endpoint = await register(org, `http://127.0.0.1:${port}/`, ['campaign.status_changed', 'campaign.completed']);
    let output = '';
    const receiver = spawnOwned(process.execPath, [join(dir, 'receiver.mjs')], {
      env: { ...process.env, WEBHOOK_SECRET: endpoint.secret, PORT: String(port) },
      output: (chunk) => (output += chunk),
    });
    try {
      await eventually(
        async () => fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' }).then((response) => response.status),
        (status) => status === 400,
      );
      await createCampaign(t, { start: true, headers: { 'x-api-key': org.apiKey } });
      const lines = await eventually(
        async () => output.split('\n').filter(Boolean),
        (printed) => printed.length === 3,
      );
      expect(lines.map((line) => (JSON.parse(line) as { type: string }).type).sort()).toEqual([
        'campaign.completed',
        'campaign.status_changed',
        'campaign.status_changed',
      ]);
      // The receiver prints before the system has its answer recorded: wait for the log.
      const deliveries = await eventually(
        () => deliveriesOf(org, endpoint.id),
        (rows) => rows.every((delivery) => delivery.status !== 'pending'),
      );
      expect(deliveries.every((delivery) => delivery.status === 'delivered' && delivery.last_status_code === 204)).toBe(true);
    } finally {
      await receiver.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("one organization's slow endpoint", () => {
  it("does not delay another organization's deliveries", async () => {
    const slowOrg = await t.newOrganization();
    const quickOrg = await t.newOrganization();
    const slow = await startWebhookReceiver();
    const quick = await startWebhookReceiver();
    try {
      slow.delayWith(() => 3_000);
      const slowEndpoint = await register(slowOrg, slow.url);
      slow.trust(slowEndpoint.secret);
      for (let i = 0; i < 8; i++) await createCampaign(t, { settings: { name: `slow ${i}` }, start: true, headers: { 'x-api-key': slowOrg.apiKey } });
      await eventually(
        async () => slow.requests,
        (n) => n >= 4,
      );
      const quickEndpoint = await register(quickOrg, quick.url);
      quick.trust(quickEndpoint.secret);
      await createCampaign(t, { start: true, headers: { 'x-api-key': quickOrg.apiKey } });
      await eventually(
        async () => quick.received.length,
        (n) => n === 3,
        5_000,
      );
      // The slow endpoint has had at most its four attempts at a time: most of its 24 events still wait.
      expect(slow.received.length).toBeLessThan(24);
    } finally {
      await slow.close();
      await quick.close();
    }
  });
});

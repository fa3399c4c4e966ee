import { afterAll, beforeAll } from 'vitest';
import { startTestSystem, type TestSystem } from './harness.js';
import { eventually } from './poll.js';
import type { ProcessFixture } from './process-fixture.js';
import { AGENT_ID } from './sql-database.js';

export const campaignInput = (overrides: Record<string, unknown> = {}) => ({
  name: 'Spring renewals',
  agent_id: AGENT_ID,
  ...overrides,
});

/** A call window open all day, every day: for tests that run on the real clock. */
export const ALL_WEEK = { start: '00:00', end: '23:59:59', weekdays: [1, 2, 3, 4, 5, 6, 7] };

/**
 * One callable target. A started campaign without targets has no work and completes by itself
 * (docs/product.md), which lifecycle tests must not race with.
 */
export const ONE_TARGET = [{ phone: '+14155550199', name: 'Pat' }];

export interface CampaignSpec {
  /** Fields of `POST /campaigns` beyond the default name and agent. */
  settings?: Record<string, unknown>;
  /** Every one must be inserted: a test that meant to send an invalid row sends it itself. */
  targets?: Array<Record<string, unknown>>;
  /** Start it too (the start must answer 200). */
  start?: boolean;
  /** Sent with every request, e.g. another organization's key. */
  headers?: Record<string, string>;
}

/** A campaign built through the API, each step checked, so a failing set-up says which step failed. */
export async function createCampaign(t: TestSystem, { settings = {}, targets = [], start = false, headers }: CampaignSpec = {}): Promise<string> {
  const created = await t.api('POST', '/campaigns', campaignInput(settings), headers);
  if (created.statusCode !== 201) throw new Error(`campaign not created (${created.statusCode}): ${created.body}`);
  const id = created.json().id as string;
  if (targets.length > 0) {
    const added = await t.api('POST', `/campaigns/${id}/targets`, targets, headers);
    if (added.statusCode !== 200 || added.json().inserted !== targets.length) throw new Error(`targets not added (${added.statusCode}): ${added.body}`);
  }
  if (start) {
    const started = await t.api('POST', `/campaigns/${id}/start`, undefined, headers);
    if (started.statusCode !== 200) throw new Error(`campaign not started (${started.statusCode}): ${started.body}`);
  }
  return id;
}

/**
 * For a file whose tests only send requests: an API-only system (no workers) with one draft
 * campaign, started before the file's tests and closed after them. Read its fields inside tests.
 */
export function apiWithCampaign(): { readonly t: TestSystem; readonly campaignId: string } {
  const fixture = {} as { t: TestSystem; campaignId: string };
  beforeAll(async () => {
    fixture.t = await startTestSystem({}, 'api');
    fixture.campaignId = await createCampaign(fixture.t);
  });
  afterAll(() => fixture.t?.close());
  return fixture;
}

/** How a test reads a campaign: its status, and what is left of its work when a wait times out. */
export interface CampaignReader {
  status(campaignId: string): Promise<string>;
  /** Counts of the campaign's work (its stats, its calls by status), for a timeout's message. */
  counts(campaignId: string): Promise<unknown>;
}

/** Reads through the in-process API, as the harness's organization. */
export function campaignApiReader(t: TestSystem): CampaignReader {
  const get = async (url: string) => (await t.api('GET', url)).json();
  return {
    status: async (campaignId) => (await get(`/campaigns/${campaignId}`)).status as string,
    counts: (campaignId) => get(`/campaigns/${campaignId}/stats`),
  };
}

/** Reads the rows on the test's own connection: for a system in child processes, or an API cut off. */
export function campaignDatabaseReader(db: Pick<ProcessFixture, 'query'>): CampaignReader {
  return {
    status: async (campaignId) => (await db.query<{ status: string }>('SELECT status FROM campaigns WHERE id = $1', [campaignId]))[0]!.status,
    counts: async (campaignId) => ({
      calls: await db.query('SELECT status, count(*)::int AS n FROM calls WHERE campaign_id = $1 GROUP BY status ORDER BY status', [campaignId]),
      targets: await db.query('SELECT state, has_pending, count(*)::int AS n FROM targets WHERE campaign_id = $1 GROUP BY 1, 2 ORDER BY 1, 2', [campaignId]),
    }),
  };
}

export interface CampaignWait {
  /** `eventually`'s 15 s unless given. */
  timeoutMs?: number;
  /** What a timeout reports instead of the reader's counts. */
  explain?: () => Promise<string>;
}

/**
 * Waits until the campaign is done, read through `t`'s API or a reader. A timeout names the
 * campaign, its last status and what is left of its work, so the failure explains itself.
 */
export async function waitCampaignDone(from: TestSystem | CampaignReader, campaignId: string, { timeoutMs, explain }: CampaignWait = {}): Promise<void> {
  const reader = 'api' in from ? campaignApiReader(from) : from;
  await eventually(
    () => reader.status(campaignId),
    (status) => status === 'done',
    timeoutMs,
  ).catch(async (error: Error) => {
    const whatIsLeft = explain ?? (async () => `counts ${JSON.stringify(await reader.counts(campaignId))}`);
    const left = await whatIsLeft().catch((failure: Error) => `what is left not read: ${failure.message}`);
    throw new Error(`campaign ${campaignId} not done: ${error.message}; ${left}`);
  });
}

/** Waits until the campaign has exactly `count` calls (the first page through `t`'s API) and returns them. */
export const waitCalls = (t: TestSystem, campaignId: string, count: number) =>
  eventually(
    () => t.api('GET', `/campaigns/${campaignId}/calls`).then((r) => r.json().items),
    (items) => items.length === count,
  );

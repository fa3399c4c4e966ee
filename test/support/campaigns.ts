import { afterAll, beforeAll } from 'vitest';
import { startTestSystem, type TestSystem } from './harness.js';
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

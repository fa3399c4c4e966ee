import { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueName } from '../../src/queues/names.js';
import { ALL_WEEK, createCampaign, ONE_TARGET } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { eventually } from '../support/poll.js';
import { closeOnOwnRedis, startOwnRedis, type OwnRedis } from '../support/redis-server.js';

/**
 * Many concurrent starts of one campaign with one Idempotency-Key while the test's own Redis is
 * killed or suspended (SIGSTOP). Every answer must be 503 (nothing was accepted, nothing
 * applied), never 202 for a command that is not queued, never 500; once Redis is back, the same
 * key goes through and the start is applied once. The system (API and workers) runs in this
 * process.
 */

const REQUESTS = 480;

let redis: OwnRedis;
let t: TestSystem;

beforeAll(async () => {
  redis = await startOwnRedis();
  t = await startTestSystem({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '1000', RECONCILE_INTERVAL_MS: '1000', RECONCILE_GRACE_MS: '2000' });
});

afterAll(() => closeOnOwnRedis(redis, t));

const start = (campaignId: string, key: string) => t.api('POST', `/campaigns/${campaignId}/start`, undefined, { 'idempotency-key': key });
const commandsOf = (campaignId: string) => t.prisma.command.findMany({ where: { campaignId }, orderBy: { createdAt: 'asc' } });
const eventsOf = async (campaignId: string) => (await t.api('GET', `/campaigns/${campaignId}/events`)).json().items as unknown[];
const statusOf = async (campaignId: string) => (await t.api('GET', `/campaigns/${campaignId}`)).json().status as string;

/** A draft campaign, and the answers to REQUESTS concurrent starts with one key sent once the outage has begun. */
async function startsDuring(outage: string, begin: () => unknown) {
  // Up, whatever an earlier test left (start is a no-op while it runs, suspended or not).
  await redis.start();
  redis.thaw();
  const campaignId = await createCampaign(t, { settings: { call_working_hours: ALL_WEEK, timezone: 'UTC' }, targets: ONE_TARGET });
  const key = `outage-${campaignId}`;
  await begin();
  const began = Date.now();
  const answers = (await Promise.all(Array.from({ length: REQUESTS }, () => start(campaignId, key)))).map((response) => ({
    status: response.statusCode,
    body: response.body,
  }));
  console.log(
    `[faults] Redis ${outage}: ${REQUESTS} concurrent starts with one key answered in ${Date.now() - began} ms; ${(await commandsOf(campaignId)).length} commands recorded`,
  );
  return { campaignId, key, answers };
}

/** Waits until every job Redis holds for the campaign's commands has finished (those added late are processed); returns how many there are. */
async function lateJobsSettled(campaignId: string): Promise<number> {
  // The system's producer connection: its late adds went first on the same socket.
  const queue = t.system.queues.get(QueueName.Lifecycle);
  const jobs = await eventually(
    async () => (await Promise.all((await commandsOf(campaignId)).map((command) => Job.fromId(queue, command.id)))).filter((job) => job !== undefined),
    (found) => found.every((job) => job.finishedOn !== undefined),
    30_000,
  );
  return jobs.length;
}

function expectAllRefused(answers: Array<{ status: number; body: string }>) {
  const byStatus = new Map<number, number>();
  for (const { status } of answers) byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  expect(Object.fromEntries(byStatus)).toEqual({ 503: REQUESTS });
  // One answer for the key: the same body for every request.
  expect([...new Set(answers.map((answer) => answer.body))]).toEqual([
    JSON.stringify({ detail: 'The command queue (Redis) is unavailable; nothing was changed. Retry shortly.' }),
  ]);
}

/** After the outage: nothing was applied; the same key goes through, applied once, and replays answer the same. */
async function thenAppliedOnce(campaignId: string, key: string) {
  expect(await statusOf(campaignId)).toBe('draft');
  expect(await eventsOf(campaignId)).toEqual([]);
  expect(new Set((await commandsOf(campaignId)).map((command) => command.status))).toEqual(new Set(['failed']));

  const first = await eventually(
    () => start(campaignId, key),
    (response) => response.statusCode === 200,
    30_000,
  );
  expect(first.json()).toMatchObject({ id: campaignId, status: 'running' });
  const replays = await Promise.all(Array.from({ length: 20 }, () => start(campaignId, key)));
  expect(new Set(replays.map((response) => `${response.statusCode} ${response.body}`))).toEqual(new Set([`200 ${first.body}`]));
  expect(await eventsOf(campaignId)).toHaveLength(1);
  expect((await commandsOf(campaignId)).filter((command) => command.status !== 'failed').map((command) => command.status)).toEqual(['succeeded']);
}

describe('one Idempotency-Key, many concurrent starts, Redis down', () => {
  it('Redis killed: every answer is 503 and nothing is applied; after it returns, the key goes through once', async () => {
    const { campaignId, key, answers } = await startsDuring('killed', () => redis.stop());
    expectAllRefused(answers);
    await redis.start();
    await thenAppliedOnce(campaignId, key);
  });

  it('Redis suspended: every answer is 503, and the jobs Redis takes late are not applied; after it returns, the key goes through once', async () => {
    const { campaignId, key, answers } = await startsDuring('suspended', () => redis.freeze());
    expectAllRefused(answers);
    // The adds that timed out reach Redis once it resumes: their jobs run, and change nothing.
    redis.thaw();
    const lateJobs = await lateJobsSettled(campaignId);
    console.log(`[faults] Redis suspended: ${lateJobs} jobs added late (after their command failed) were run and changed nothing`);
    expect(lateJobs).toBeGreaterThan(0);
    await thenAppliedOnce(campaignId, key);
  });
});

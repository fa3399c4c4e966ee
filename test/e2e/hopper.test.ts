import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobName, QueueName } from '../../src/queues/names.js';
import { callChannel } from '../../src/channels.js';
import type { Queues } from '../../src/queues/queues.js';
import { promoteDueWork } from '../../src/services/hopper.js';
import { runRollouts } from '../../src/services/rollouts.js';
import { createTestClock } from '../support/clock.js';
import { startTestDialer } from '../support/contacts.js';
import { eventually } from '../support/poll.js';
import { afterHopperPasses } from '../support/hopper.js';
import { createCampaign, waitCalls, waitCampaignDone } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';

// Monday 2026-11-30 10:00 UTC, inside the default 09:00–19:00 weekday window.
const clock = createTestClock(new Date('2026-11-30T10:00:00Z'));
let t: TestSystem;

beforeAll(async () => {
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '200', HOPPER_MAX_PROMOTED_PER_CAMPAIGN: '25' }, 'all', { clock: clock.now });
});
afterAll(() => t?.close());

const phones = (n: number, base: number) => Array.from({ length: n }, (_, i) => ({ phone: `+1303${String(base + i).padStart(7, '0')}` }));

/** Call jobs of one campaign sitting in Redis, by state. */
async function jobsInRedis(campaignId: string) {
  const jobs = await t.system.queues.get(QueueName.Calls).getJobs(['delayed', 'waiting', 'prioritized', 'active', 'completed', 'failed']);
  return jobs.filter((job) => job?.data.campaign_id === campaignId);
}

/** Claims the dispatch guard answered "retry" (the job is ahead of its row). */
const retriedClaims = async () => {
  const metric = await t.system.deps.metrics.dispatchDecisions.get();
  return metric.values.filter((value) => value.labels.decision === 'retry').reduce((sum, value) => sum + value.value, 0);
};

const promotedRows = async (campaignId: string) => t.prisma.call.count({ where: { campaignId, status: 'scheduled', promotedAt: { not: null } } });

describe('the hopper keeps Redis bounded', () => {
  it('holds at most HOPPER_MAX_PROMOTED_PER_CAMPAIGN jobs of a larger campaign', async () => {
    const id = await createCampaign(t, { targets: phones(120, 0) });
    await t.api('POST', `/campaigns/${id}/start`);
    await eventually(
      () => promotedRows(id),
      (n) => n === 25,
    );
    // Several more passes change nothing: the budget is spent.
    await afterHopperPasses(t, 3);
    expect(await promotedRows(id)).toBe(25);
    expect(await jobsInRedis(id)).toHaveLength(25);
    expect(await t.prisma.call.count({ where: { campaignId: id } })).toBe(120);
    await t.api('POST', `/campaigns/${id}/complete`);
  });

  it('keeps work outside the horizon as rows: nothing in Redis while the window is closed', async () => {
    // Window opens at 16:00 UTC, six hours after the clock's 10:00: far beyond the 15-minute horizon.
    const id = await createCampaign(t, { targets: phones(5, 1000), settings: { call_working_hours: { start: '16:00', end: '18:00' } } });
    await t.api('POST', `/campaigns/${id}/start`);
    const calls = await waitCalls(t, id, 5);
    expect(new Set(calls.map((call: { scheduled_for: string }) => call.scheduled_for))).toEqual(new Set(['2026-11-30T16:00:00.000Z']));
    await afterHopperPasses(t, 3);
    expect(await jobsInRedis(id)).toHaveLength(0);
  });
});

describe('pause, start and the dispatch guard', () => {
  it('pause withdraws promoted jobs and keeps the rows pending; start promotes them again', async () => {
    const id = await createCampaign(t, { targets: phones(6, 2000) });
    await t.api('POST', `/campaigns/${id}/start`);
    await eventually(
      () => promotedRows(id),
      (n) => n === 6,
    );
    const before = (await jobsInRedis(id)).map((job) => job.id);

    expect((await t.api('POST', `/campaigns/${id}/pause`)).json().status).toBe('paused');
    expect(await jobsInRedis(id)).toHaveLength(0);
    expect(await t.prisma.call.count({ where: { campaignId: id, status: 'scheduled', promotedAt: null } })).toBe(6);

    // Due times that passed while paused move to the next moment inside the window.
    clock.advance(3 * 3600_000);
    expect((await t.api('POST', `/campaigns/${id}/start`)).json().status).toBe('running');
    await eventually(
      () => promotedRows(id),
      (n) => n === 6,
    );
    const after = await jobsInRedis(id);
    expect(after).toHaveLength(6);
    expect(after.map((job) => job.id).filter((jobId) => before.includes(jobId))).toEqual([]);
    const rows = await t.prisma.call.findMany({ where: { campaignId: id } });
    for (const row of rows) expect(row.scheduledFor.getTime()).toBeGreaterThanOrEqual(clock.now().getTime() - 5_000);

    await t.api('POST', `/campaigns/${id}/complete`);
    expect(await jobsInRedis(id)).toHaveLength(0);
    expect(await t.prisma.call.count({ where: { campaignId: id, status: 'canceled', cancelReason: 'campaign_completed' } })).toBe(6);
  });

  it('a repeated start schedules nothing twice', async () => {
    const id = await createCampaign(t, { targets: phones(4, 3000) });
    await t.api('POST', `/campaigns/${id}/start`);
    await eventually(
      () => promotedRows(id),
      (n) => n === 4,
    );
    await t.api('POST', `/campaigns/${id}/start`);
    await t.api('POST', `/campaigns/${id}/start`);
    await afterHopperPasses(t, 3);
    expect(await t.prisma.call.count({ where: { campaignId: id } })).toBe(4);
    expect(await jobsInRedis(id)).toHaveLength(4);
    await t.api('POST', `/campaigns/${id}/complete`);
  });

  it('acknowledges a job that escaped withdrawal without contacting anyone', async () => {
    const id = await createCampaign(t, { targets: phones(1, 4000) });
    await t.api('POST', `/campaigns/${id}/start`);
    await eventually(
      () => promotedRows(id),
      (n) => n === 1,
    );
    const [escaped] = await jobsInRedis(id);
    await t.api('POST', `/campaigns/${id}/pause`);
    // As if the removal had failed: the same job is back in Redis, due now.
    await t.system.queues.get(QueueName.Calls).add(JobName.Call, escaped!.data, { jobId: escaped!.id! });
    const dialer = startTestDialer(t, clock.now);
    try {
      await eventually(async () => (await t.system.queues.get(QueueName.Calls).getJob(escaped!.id!))?.finishedOn, Boolean);
      expect(dialer.dials.filter((dial) => dial.data.campaign_id === id)).toEqual([]);
      expect(await t.prisma.call.findFirst({ where: { campaignId: id } })).toMatchObject({ status: 'scheduled', promotedAt: null });
    } finally {
      await dialer.close();
    }
  });
});

describe('a crash between writing rows and promoting them', () => {
  it('loses nothing and queues nothing twice', async () => {
    const scheduler = t.system.workers!.workers.find((worker) => worker.name === QueueName.Scheduler)!;
    await scheduler.pause();
    try {
      const id = await createCampaign(t, { targets: phones(5, 5000) });
      await t.api('POST', `/campaigns/${id}/start`);
      // The hopper's round opening writes the rows; its promotion is what crashes.
      await runRollouts({ ...t.system.deps, clock: clock.now });
      expect(await t.prisma.call.count({ where: { campaignId: id, promotedAt: null } })).toBe(5);

      // The jobs reach Redis, then the process dies before the promotion commits.
      const crashing: Queues = {
        ...t.system.queues,
        addBulk: async (name, jobs) => {
          await t.system.queues.addBulk(name, jobs);
          if (name === JobName.Call && jobs.length) throw new Error('simulated crash');
        },
      };
      const deps = { ...t.system.deps, queues: crashing, clock: clock.now };
      await expect(promoteDueWork(deps)).rejects.toThrow('simulated crash');
      expect(await t.prisma.call.count({ where: { campaignId: id, promotedAt: null } })).toBe(5);
      expect(await jobsInRedis(id)).toHaveLength(5);

      // A dialer meets the jobs before the rows say they were promoted: it must not drop them.
      const dialer = startTestDialer(t, clock.now);
      try {
        // Every job was claimed at least once and told to retry (its promotion is not recorded).
        await eventually(
          () => retriedClaims(),
          (n) => n >= 5,
        );
        expect(dialer.dials.filter((dial) => dial.data.campaign_id === id)).toEqual([]);
        const calls = await t.prisma.call.findMany({ where: { campaignId: id } });
        await promoteDueWork({ ...deps, queues: t.system.queues });
        const jobs = await jobsInRedis(id);
        expect(jobs.map((job) => job.id).sort()).toEqual(calls.map((call) => callChannel.jobId(call.id, 1)).sort());
        // The process is back: its periodic hopper (and completion sweep) runs again.
        scheduler.resume();

        await waitCampaignDone(t, id, { timeoutMs: 30_000 });
        const dialed = dialer.dials.filter((dial) => dial.data.campaign_id === id).map((dial) => dial.data.call_id);
        expect(dialed.sort()).toEqual(calls.map((call) => call.id).sort());
      } finally {
        await dialer.close();
      }
    } finally {
      if (scheduler.isPaused()) scheduler.resume();
    }
  }, 60_000);
});

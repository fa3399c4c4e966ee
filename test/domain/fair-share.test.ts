import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { campaignSlots, dispatchPriority, LOWEST_PRIORITY } from '../../src/domain/fair-share.js';

interface Backlog {
  organizationId: string;
  campaignId: string;
  jobs: number;
}

/**
 * Numbers every job of a fixed backlog as the hopper does (campaigns queued in the given order,
 * each campaign's jobs at depths 0, 1, …) and hands them out as BullMQ does: lowest number first,
 * equal numbers in the order they were queued. Returns the campaign of each job handed out.
 */
function handOut(backlog: Backlog[]): string[] {
  const slots = campaignSlots(backlog);
  const queued = backlog.flatMap(({ campaignId, jobs }) =>
    Array.from({ length: jobs }, (_, depth) => ({ campaignId, priority: dispatchPriority({ depth, ...slots.get(campaignId)! }) })),
  );
  return queued
    .map((job, order) => ({ ...job, order }))
    .sort((a, b) => a.priority - b.priority || a.order - b.order)
    .map((job) => job.campaignId);
}

describe('fair dispatch numbers', () => {
  it("a campaign's jobs go in due order; alone, nothing changes (1, 2, 3, …)", () => {
    expect([0, 1, 2, 3].map((depth) => dispatchPriority({ depth, campaigns: 1, slot: 0 }))).toEqual([1, 2, 3, 4]);
  });

  it('spreads an organization with three campaigns over the same numbers as an organization with one', () => {
    expect([0, 1].flatMap((depth) => [0, 1, 2].map((slot) => dispatchPriority({ depth, campaigns: 3, slot })))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("never goes past BullMQ's range", () => {
    expect(dispatchPriority({ depth: 10_000_000, campaigns: 50, slot: 3 })).toBe(LOWEST_PRIORITY);
  });

  it('gives each campaign a stable slot in id order within its organization', () => {
    const slots = campaignSlots([
      { campaignId: 'c2', organizationId: 'b' },
      { campaignId: 'c1', organizationId: 'b' },
      { campaignId: 'c9', organizationId: 'a' },
      { campaignId: 'c1', organizationId: 'b' },
    ]);
    expect(Object.fromEntries(slots)).toEqual({ c1: { campaigns: 2, slot: 0 }, c2: { campaigns: 2, slot: 1 }, c9: { campaigns: 1, slot: 0 } });
  });

  it('hands out a fixed backlog organization by organization, then campaign by campaign', () => {
    // Organization A queued 6 calls of one campaign first; B then queued 3 calls in each of two campaigns.
    const order = handOut([
      { organizationId: 'A', campaignId: 'a1', jobs: 6 },
      { organizationId: 'B', campaignId: 'b1', jobs: 3 },
      { organizationId: 'B', campaignId: 'b2', jobs: 3 },
    ]);
    expect(order).toEqual(['a1', 'b1', 'a1', 'b2', 'a1', 'b1', 'a1', 'b2', 'a1', 'b1', 'a1', 'b2']);
  });

  it("puts a small campaign's first call second, behind a big campaign's backlog of thousands", () => {
    const order = handOut([
      { organizationId: 'A', campaignId: 'big', jobs: 5_000 },
      { organizationId: 'B', campaignId: 'small', jobs: 5 },
    ]);
    expect(order.indexOf('small')).toBe(1);
    expect(order.lastIndexOf('small')).toBe(9);
  });

  it('while every campaign has jobs left, organizations stay within one round of each other; every first call comes early', () => {
    const backlogs = fc.array(fc.record({ organization: fc.integer({ min: 0, max: 3 }), jobs: fc.integer({ min: 1, max: 40 }) }), {
      minLength: 1,
      maxLength: 8,
    });
    fc.assert(
      fc.property(backlogs, (entries) => {
        const backlog = entries.map((entry, index) => ({ organizationId: `o${entry.organization}`, campaignId: `c${index}`, jobs: entry.jobs }));
        const organizationOf = new Map(backlog.map((entry) => [entry.campaignId, entry.organizationId]));
        const campaignsOf = new Map<string, number>();
        for (const entry of backlog) campaignsOf.set(entry.organizationId, (campaignsOf.get(entry.organizationId) ?? 0) + 1);
        const order = handOut(backlog);
        expect(order).toHaveLength(backlog.reduce((sum, entry) => sum + entry.jobs, 0));

        // Numbers are fixed when jobs are queued: once a campaign runs out, its organization's
        // share shrinks until the next pass numbers new jobs. Before that, shares are even.
        const jobsOf = new Map(backlog.map((entry) => [entry.campaignId, entry.jobs]));
        const servedCampaign = new Map<string, number>();
        const servedOrganization = new Map<string, number>();
        for (const campaignId of order) {
          servedCampaign.set(campaignId, (servedCampaign.get(campaignId) ?? 0) + 1);
          const organization = organizationOf.get(campaignId)!;
          servedOrganization.set(organization, (servedOrganization.get(organization) ?? 0) + 1);
          const shares = [...campaignsOf.keys()].map((id) => servedOrganization.get(id) ?? 0);
          expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(Math.max(...campaignsOf.values()));
          if (servedCampaign.get(campaignId) === jobsOf.get(campaignId)) break;
        }

        // A campaign's first job waits at most one round of every organization.
        const organizations = campaignsOf.size;
        for (const entry of backlog) expect(order.indexOf(entry.campaignId)).toBeLessThan(organizations * campaignsOf.get(entry.organizationId)!);
      }),
    );
  });
});

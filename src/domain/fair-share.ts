/**
 * Fair dispatch on one shared queue (docs/product.md, "Fair dispatch"). Dialers take the job of
 * lowest priority number first (BullMQ priorities; equal numbers in the order they were queued),
 * so the number a job gets when it is queued decides whose call goes next.
 *
 * A job's number is its depth in its own campaign's queue (how many of the campaign's jobs are
 * queued ahead of it), spread so that every organization with work gets the same share and,
 * inside an organization, every campaign with work gets the same share of it: the `depth`-th job
 * of the campaign in `slot` among the organization's `campaigns` campaigns with work gets
 * `1 + depth × campaigns + slot`. Between two numbers n and n + 1 each organization has one job,
 * whatever its number of campaigns, and a campaign that just started has its first job near the
 * front, whatever the size of the others' backlogs.
 */

/** BullMQ's highest priority number (2^21 − 1); deeper jobs share it and go in queue order. */
export const LOWEST_PRIORITY = 2 ** 21 - 1;

export interface QueuePosition {
  /** The campaign's jobs queued ahead of this one (0: it is the campaign's next job). */
  depth: number;
  /** Campaigns of the organization that have work to dispatch now (at least 1). */
  campaigns: number;
  /** This campaign's place among them, 0 … campaigns − 1. */
  slot: number;
}

export function dispatchPriority(position: QueuePosition): number {
  const campaigns = Math.max(1, position.campaigns);
  const slot = Math.min(Math.max(0, position.slot), campaigns - 1);
  return Math.min(LOWEST_PRIORITY, 1 + Math.max(0, position.depth) * campaigns + slot);
}

/**
 * Each campaign's place among its organization's campaigns with work (jobs queued, or work
 * coming due): campaigns in id order within each organization, so a campaign keeps its slot
 * from pass to pass while the set holds.
 */
export function campaignSlots(campaigns: ReadonlyArray<{ campaignId: string; organizationId: string }>): Map<string, { campaigns: number; slot: number }> {
  const byOrganization = new Map<string, Set<string>>();
  for (const { campaignId, organizationId } of campaigns) {
    const ids = byOrganization.get(organizationId) ?? new Set<string>();
    ids.add(campaignId);
    byOrganization.set(organizationId, ids);
  }
  const slots = new Map<string, { campaigns: number; slot: number }>();
  for (const ids of byOrganization.values()) {
    [...ids].sort().forEach((campaignId, slot) => slots.set(campaignId, { campaigns: ids.size, slot }));
  }
  return slots;
}

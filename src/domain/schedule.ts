/**
 * A campaign's schedule (docs/product.md, "Campaign schedule"): `starts_at` holds back every
 * first contact until it, `ends_at` ends the campaign. Pure; both bounds are optional.
 */

export interface CampaignSchedule {
  startsAt: Date | null;
  endsAt: Date | null;
}

/** The earliest a round may open with a contact: now, or the campaign's start when it lies ahead. */
export function earliestContact(schedule: CampaignSchedule, now: Date): Date {
  return schedule.startsAt !== null && schedule.startsAt.getTime() > now.getTime() ? schedule.startsAt : now;
}

/** An attempt due at or after the campaign's end is never made: its round ends instead. */
export function isPastEnd(schedule: CampaignSchedule, due: Date): boolean {
  return schedule.endsAt !== null && due.getTime() >= schedule.endsAt.getTime();
}

/** Why a schedule is refused as stored (null: it is sound): an end must come after the start. */
export function scheduleProblem(schedule: CampaignSchedule): string | null {
  if (schedule.startsAt !== null && schedule.endsAt !== null && schedule.endsAt.getTime() <= schedule.startsAt.getTime()) {
    return 'must be after starts_at';
  }
  return null;
}

/** Why a campaign may not be set running now (null: it may): its end has already come. */
export function runProblem(schedule: CampaignSchedule, now: Date): string | null {
  return isPastEnd(schedule, now) ? `has passed (${schedule.endsAt!.toISOString()}): set a later ends_at, or none, before starting the campaign` : null;
}

import {
  createCampaign,
  findCampaign,
  updateCampaignIfStatus,
  type Campaign,
  type CampaignWrite,
  type StoredRetryPolicy,
} from '../db/repositories/campaigns.js';
import { Conflict, InvalidField, NotFound } from '../domain/errors.js';
import { scheduleProblem } from '../domain/schedule.js';
import type { ChannelName } from '../domain/channel-names.js';
import type { GoalLogic, GoalSpec } from '../domain/goal.js';
import { editableStatuses } from '../domain/lifecycle.js';
import { normalizeCallWindow, type CallWindow } from '../domain/working-hours.js';
import type { ServiceDeps } from './deps.js';

/** A campaign's settings as the API validated them (camelCase; `null` clears an optional one on update). */
export interface CampaignSettings {
  name: string;
  agentId: string;
  phoneNumberId: string | null;
  emailChannelId: string | null;
  whatsappChannelId: string | null;
  goal: string | null;
  goalSpec: GoalSpec | null;
  goalLogic: GoalLogic;
  firstContactChannel: ChannelName;
  callOpeningMessage: string | null;
  whatsappFirstMessage: string | null;
  whatsappAfterAttempts: number;
  callAttemptDelays: number[];
  callWorkingHours: Partial<Omit<CallWindow, 'blackoutDates'>> | null;
  timezone: string;
  blackoutDates: string[];
  maxCallsPerMinute: number | null;
  maxConcurrentCalls: number | null;
  dispatchExpiryMinutes: number;
  callRetryPolicy: StoredRetryPolicy | null;
  startsAt: Date | null;
  endsAt: Date | null;
}

type Deps = Pick<ServiceDeps, 'db' | 'clock'>;

function toWrite(settings: Partial<CampaignSettings>): Partial<CampaignWrite> {
  const { callWorkingHours, blackoutDates, ...plain } = settings;
  const write: Partial<CampaignWrite> = { ...plain };
  if (callWorkingHours !== undefined) {
    // Stored normalized (HH:MM:SS, sorted weekdays); the blackout dates have their own column.
    const { blackoutDates: _none, ...window } = normalizeCallWindow(callWorkingHours ?? undefined);
    write.callWorkingHours = window;
  }
  if (blackoutDates !== undefined) write.blackoutDates = [...new Set(blackoutDates)].sort();
  return write;
}

export async function createCampaignFor(deps: Deps, organizationId: string, settings: CampaignSettings): Promise<Campaign> {
  return createCampaign(deps.db.sql, organizationId, toWrite(settings) as CampaignWrite, deps.clock());
}

export async function getCampaign(deps: Pick<ServiceDeps, 'db'>, organizationId: string, id: string): Promise<Campaign> {
  const campaign = await findCampaign(deps.db.sql, organizationId, id);
  if (!campaign) throw new NotFound('Campaign not found.');
  return campaign;
}

/** Settings change only while nothing runs on the campaign (checked in the UPDATE itself). */
export async function updateCampaignFor(deps: Deps, organizationId: string, id: string, settings: Partial<CampaignSettings>): Promise<Campaign> {
  const stored = await getCampaign(deps, organizationId, id); // 404 before 409
  // A body with one bound is checked against the other as stored.
  const problem = scheduleProblem({
    startsAt: settings.startsAt === undefined ? stored.startsAt : settings.startsAt,
    endsAt: settings.endsAt === undefined ? stored.endsAt : settings.endsAt,
  });
  if (problem) throw new InvalidField(['body', 'ends_at'], problem, 'schedule_order');
  if (!(await updateCampaignIfStatus(deps.db.sql, id, [...editableStatuses], toWrite(settings), deps.clock()))) {
    const latest = await getCampaign(deps, organizationId, id);
    throw new Conflict(`A ${latest.status} campaign cannot be edited; only draft and paused campaigns can (pause it first).`);
  }
  return getCampaign(deps, organizationId, id);
}

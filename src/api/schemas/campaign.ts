import { z } from 'zod';
import { channelNames } from '../../domain/channel-names.js';
import { campaignStatuses, resumeSegments } from '../../domain/lifecycle.js';
import { aiLabels } from '../../domain/goal.js';
import { retriedOutcomes, type RetriedOutcome } from '../../domain/rounds.js';
import { scheduleProblem } from '../../domain/schedule.js';
import { parseTimeOfDay } from '../../domain/working-hours.js';
import { inputLimits } from '../limits.js';
import { ianaTimezone, uuid } from './common.js';
import { dateProblems, instant, INT32_MAX, int32Problems, report, textProblems, type InputProblem } from './input-checks.js';

const dateOrNull = (value: string | null | undefined) => (value == null ? null : new Date(value));

const unique = (values: readonly unknown[]) => new Set(values).size === values.length;

// Shapes of the execution contract (docs/execution-contract.openapi.json). Constraints that the
// contract does not spell out in JSON Schema are checked with refinements, which keep the
// generated document identical to it.
//
// The settings below are shared by the requests and the responses (CampaignOut). Input limits
// (storable text, int32, sizes: src/api/limits.ts; the range of dates) are checked on the request
// objects only, by checkSettings: a response must never fail because a limit was lowered, or a
// rule added, after a row was stored.

const timeOfDay = (title: string, fallback: string) =>
  z
    .string()
    .refine((value) => parseTimeOfDay(value) !== null, {
      error: 'Input should be a time as HH:MM or HH:MM:SS, in whole seconds',
      params: { type: 'time_parsing' },
    })
    .default(fallback)
    .meta({ title, format: 'time' });

export const CampaignCallWindow = z
  .object({
    start: timeOfDay('Start', '09:00:00'),
    end: timeOfDay('End', '19:00:00'),
    weekdays: z
      .array(z.int())
      .refine((days) => days.length > 0, { error: 'must list at least one weekday' })
      .refine((days) => days.every((day) => day >= 1 && day <= 7), {
        error: 'weekdays are ISO numbers: 1 (Monday) to 7 (Sunday)',
      })
      .optional()
      .meta({ title: 'Weekdays' }),
  })
  .refine((window) => (parseTimeOfDay(window.start) ?? 0) < (parseTimeOfDay(window.end) ?? 0), {
    error: 'start must be before end',
    path: ['end'],
  })
  .meta({ id: 'CampaignCallWindow', title: 'CampaignCallWindow' });

const atLeastOne = { error: 'must be at least 1' };

export const ContactObjective = z
  .object({
    type: z.literal('contact').default('contact').meta({ title: 'Type' }),
    channels: z.array(z.enum(channelNames)).optional().meta({ title: 'Channels' }),
    min_count: z
      .int()
      .refine((n) => n >= 1, atLeastOne)
      .default(1)
      .meta({ title: 'Min Count' }),
  })
  .meta({ id: 'ContactObjective', title: 'ContactObjective' });

export const EmailObjective = z
  .object({
    type: z.literal('email').default('email').meta({ title: 'Type' }),
    min_count: z
      .int()
      .refine((n) => n >= 1, atLeastOne)
      .default(1)
      .meta({ title: 'Min Count' }),
  })
  .meta({ id: 'EmailObjective', title: 'EmailObjective' });

export const AiObjective = z
  .object({
    type: z.literal('ai').default('ai').meta({ title: 'Type' }),
    label_in: z.array(z.enum(aiLabels)).optional().meta({ title: 'Label In' }),
    min_score: z.number().default(0).meta({ title: 'Min Score' }),
  })
  .meta({ id: 'AiObjective', title: 'AiObjective' });

export const CampaignGoalSpec = z
  .object({
    objectives: z
      .array(z.union([ContactObjective, EmailObjective, AiObjective]))
      .optional()
      .meta({ title: 'Objectives' }),
  })
  .meta({ id: 'CampaignGoalSpec', title: 'CampaignGoalSpec' });

const goalLogic = z.enum(['all', 'any']).default('all').meta({ title: 'Goal Logic' });
const firstContactChannel = z.enum(channelNames).default('call').meta({ title: 'First Contact Channel' });
const whatsappAfterAttempts = z.int().min(1).default(3).meta({ title: 'Whatsapp After Attempts' });
const callAttemptDelays = z
  .array(z.int())
  .refine((delays) => delays.every((minutes) => minutes >= 0), { error: 'delays are minutes and cannot be negative' })
  .meta({ title: 'Call Attempt Delays' });

/** The settings a caller chooses; shared by create, update and the response. */
const settings = {
  name: z
    .string()
    .refine((name) => name.trim().length > 0 && name.length <= 200, { error: 'must be 1 to 200 characters, not blank' })
    .meta({ title: 'Name' }),
  agent_id: uuid('Agent Id'),
  phone_number_id: uuid('Phone Number Id').optional(),
  email_channel_id: uuid('Email Channel Id').optional(),
  whatsapp_channel_id: uuid('Whatsapp Channel Id').optional(),
  goal: z.string().optional().meta({ title: 'Goal' }),
  goal_spec: CampaignGoalSpec.optional(),
  goal_logic: goalLogic,
  first_contact_channel: firstContactChannel,
  call_opening_message: z.string().optional().meta({ title: 'Call Opening Message' }),
  whatsapp_first_message: z.string().optional().meta({ title: 'Whatsapp First Message' }),
  whatsapp_after_attempts: whatsappAfterAttempts,
  call_attempt_delays: callAttemptDelays.optional(),
  call_working_hours: CampaignCallWindow.optional(),
};

export const CampaignOut = z
  .object({
    ...settings,
    id: uuid('Id'),
    status: z.enum(campaignStatuses).meta({ title: 'Status' }),
    created_at: z.iso.datetime({ offset: true }).meta({ title: 'Created At' }),
    updated_at: z.iso.datetime({ offset: true }).meta({ title: 'Updated At' }),
  })
  .meta({ id: 'CampaignOut', title: 'CampaignOut' });
export type CampaignOut = z.output<typeof CampaignOut>;

const timezoneMeta = {
  title: 'Timezone',
  description: 'IANA zone in which call_working_hours is read for targets without a timezone of their own.',
};
const timezone = ianaTimezone.meta(timezoneMeta);

const positiveInt32 = (title: string, description: string) => z.int().min(1).max(INT32_MAX).meta({ title, description });

/** Dispatch settings of this system, beyond the execution contract (campaign resource endpoints only). */
const dispatch = {
  blackout_dates: z
    .array(z.iso.date({ error: 'Input should be a date as YYYY-MM-DD' }))
    .max(366)
    .refine(unique, { error: 'dates must not repeat' })
    .meta({ title: 'Blackout Dates', description: "Dates (YYYY-MM-DD, in each target's zone) on which nobody is contacted." }),
  max_calls_per_minute: positiveInt32('Max Calls Per Minute', 'Calls the campaign may start per minute; no limit when absent.'),
  max_concurrent_calls: positiveInt32('Max Concurrent Calls', 'Calls of the campaign in progress at once; no limit when absent.'),
  dispatch_expiry_minutes: z.int().min(1).max(10_080).meta({
    title: 'Dispatch Expiry Minutes',
    description: 'Work not handed out within this many minutes of its due time moves to the next window instead.',
  }),
};

const RetryRule = z
  .strictObject({
    delay_minutes: z
      .int()
      .min(0)
      .meta({ title: 'Delay Minutes', description: 'Minutes after the call ended before the retry is due (then moved into the window).' }),
    max_retries: z.int().min(0).meta({ title: 'Max Retries', description: 'Times this outcome is retried in one round, at most.' }),
  })
  .meta({ id: 'RetryRule', title: 'RetryRule' });

/** Retry rules by call outcome; an outcome without one follows call_attempt_delays. */
export const CallRetryPolicy = z
  .strictObject(
    Object.fromEntries(retriedOutcomes.map((outcome) => [outcome, RetryRule.optional()])) as Record<RetriedOutcome, z.ZodOptional<typeof RetryRule>>,
  )
  .meta({
    id: 'CallRetryPolicy',
    title: 'CallRetryPolicy',
    description:
      "Retry rules by outcome (no_answer, busy, voicemail, failed). After a call ends with a listed outcome, the next attempt is due delay_minutes later, unless that outcome has been retried max_retries times in the round; every retry draws on the round's len(call_attempt_delays) + 1 attempts.",
  });

const scheduleMeta = {
  starts_at: { title: 'Starts At', description: 'Nothing is due before this instant: a campaign started earlier runs, and contacts no one until then.' },
  ends_at: {
    title: 'Ends At',
    description: 'At this instant the campaign completes by itself (pending work canceled); no attempt is scheduled at or after it. Must be after starts_at.',
  },
};

/** The campaign's schedule as a request gives it: both bounds optional, ends_at after starts_at. */
const schedule = { starts_at: instant().meta(scheduleMeta.starts_at), ends_at: instant().meta(scheduleMeta.ends_at) };

/** CampaignOut plus the fields this system adds; what the campaign resource endpoints answer. */
export const CampaignResource = CampaignOut.extend({
  // Answered as stored: a row kept from before names were canonicalized, or from a runtime that
  // knew more aliases, must not fail its answer.
  timezone: z.string().meta(timezoneMeta),
  blackout_dates: dispatch.blackout_dates,
  max_calls_per_minute: dispatch.max_calls_per_minute.nullable(),
  max_concurrent_calls: dispatch.max_concurrent_calls.nullable(),
  dispatch_expiry_minutes: dispatch.dispatch_expiry_minutes,
  call_retry_policy: CallRetryPolicy.nullable(),
  starts_at: z.iso.datetime({ offset: true }).nullable().meta(scheduleMeta.starts_at),
  ends_at: z.iso.datetime({ offset: true }).nullable().meta(scheduleMeta.ends_at),
}).meta({ id: 'Campaign', title: 'Campaign' });
export type CampaignResource = z.output<typeof CampaignResource>;

interface SettingsInput {
  name?: string | undefined;
  goal?: string | null | undefined;
  call_opening_message?: string | null | undefined;
  whatsapp_first_message?: string | null | undefined;
  whatsapp_after_attempts?: number | undefined;
  call_attempt_delays?: number[] | undefined;
  goal_spec?: z.output<typeof CampaignGoalSpec> | null | undefined;
  call_working_hours?: z.output<typeof CampaignCallWindow> | undefined;
  blackout_dates?: string[] | null | undefined;
  call_retry_policy?: z.output<typeof CallRetryPolicy> | null | undefined;
  starts_at?: string | null | undefined;
  ends_at?: string | null | undefined;
}

function objectiveProblems(objectives: NonNullable<z.output<typeof CampaignGoalSpec>['objectives']>): InputProblem[] {
  const { goalObjectivesMax } = inputLimits();
  const path = ['goal_spec', 'objectives'];
  if (objectives.length > goalObjectivesMax) {
    return [{ path, message: `must list at most ${goalObjectivesMax} objectives`, type: 'too_long' }];
  }
  return objectives.flatMap((objective, index) => {
    const problems: InputProblem[] = [];
    if ('min_count' in objective) problems.push(...int32Problems(objective.min_count, [...path, index, 'min_count']));
    const choices = 'channels' in objective ? objective.channels : 'label_in' in objective ? objective.label_in : undefined;
    if (choices && !unique(choices)) {
      const field = 'channels' in objective ? 'channels' : 'label_in';
      problems.push({ path: [...path, index, field], message: 'must not repeat an entry', type: 'not_unique' });
    }
    return problems;
  });
}

/** The input limits of the settings, each reported at its field. */
function settingsProblems(settings: SettingsInput): InputProblem[] {
  const { textMaxChars, callAttemptDelaysMax, callAttemptDelayMaxMinutes } = inputLimits();
  const problems = [
    ...textProblems(settings.name, ['name']),
    ...textProblems(settings.goal, ['goal'], textMaxChars),
    ...textProblems(settings.call_opening_message, ['call_opening_message'], textMaxChars),
    ...textProblems(settings.whatsapp_first_message, ['whatsapp_first_message'], textMaxChars),
    ...int32Problems(settings.whatsapp_after_attempts, ['whatsapp_after_attempts']),
    ...dateProblems(settings.blackout_dates, ['blackout_dates']),
  ];
  const delays = settings.call_attempt_delays;
  if (delays && delays.length > callAttemptDelaysMax) {
    problems.push({ path: ['call_attempt_delays'], message: `must list at most ${callAttemptDelaysMax} delays`, type: 'too_long' });
  } else if (delays) {
    delays.forEach((minutes, index) => {
      if (minutes > callAttemptDelayMaxMinutes) {
        problems.push({ path: ['call_attempt_delays', index], message: `must be at most ${callAttemptDelayMaxMinutes} minutes`, type: 'less_than_equal' });
      }
    });
  }
  for (const [outcome, rule] of Object.entries(settings.call_retry_policy ?? {})) {
    if (!rule) continue;
    const path = ['call_retry_policy', outcome];
    if (rule.delay_minutes > callAttemptDelayMaxMinutes) {
      problems.push({ path: [...path, 'delay_minutes'], message: `must be at most ${callAttemptDelayMaxMinutes} minutes`, type: 'less_than_equal' });
    }
    problems.push(...int32Problems(rule.max_retries, [...path, 'max_retries']));
  }
  const scheduled = scheduleProblem({ startsAt: dateOrNull(settings.starts_at), endsAt: dateOrNull(settings.ends_at) });
  if (scheduled) problems.push({ path: ['ends_at'], message: scheduled, type: 'schedule_order' });
  const objectives = settings.goal_spec?.objectives;
  if (objectives) problems.push(...objectiveProblems(objectives));
  const weekdays = settings.call_working_hours?.weekdays;
  if (weekdays && !unique(weekdays)) {
    problems.push({ path: ['call_working_hours', 'weekdays'], message: 'must not repeat a weekday', type: 'not_unique' });
  }
  return problems;
}

const checkSettings = (settings: SettingsInput, ctx: z.RefinementCtx) => report(ctx, settingsProblems(settings));

export const CampaignCreate = z
  .object({
    ...settings,
    timezone: timezone.default('UTC'),
    blackout_dates: dispatch.blackout_dates.default([]),
    max_calls_per_minute: dispatch.max_calls_per_minute.optional(),
    max_concurrent_calls: dispatch.max_concurrent_calls.optional(),
    dispatch_expiry_minutes: dispatch.dispatch_expiry_minutes.default(60),
    call_retry_policy: CallRetryPolicy.optional(),
    starts_at: schedule.starts_at.optional(),
    ends_at: schedule.ends_at.optional(),
  })
  .superRefine(checkSettings)
  .meta({ id: 'CampaignCreate', title: 'CampaignCreate' });
export type CampaignCreate = z.output<typeof CampaignCreate>;

/** Every field optional; null clears an optional setting. */
export const CampaignUpdate = z
  .object({
    name: settings.name.optional(),
    agent_id: settings.agent_id.optional(),
    phone_number_id: settings.phone_number_id.nullable(),
    email_channel_id: settings.email_channel_id.nullable(),
    whatsapp_channel_id: settings.whatsapp_channel_id.nullable(),
    goal: settings.goal.nullable(),
    goal_spec: settings.goal_spec.nullable(),
    goal_logic: goalLogic.unwrap().optional(),
    first_contact_channel: firstContactChannel.unwrap().optional(),
    call_opening_message: settings.call_opening_message.nullable(),
    whatsapp_first_message: settings.whatsapp_first_message.nullable(),
    whatsapp_after_attempts: whatsappAfterAttempts.unwrap().optional(),
    call_attempt_delays: settings.call_attempt_delays,
    call_working_hours: settings.call_working_hours,
    timezone: timezone.optional(),
    blackout_dates: dispatch.blackout_dates.nullable().optional(),
    max_calls_per_minute: dispatch.max_calls_per_minute.nullable().optional(),
    max_concurrent_calls: dispatch.max_concurrent_calls.nullable().optional(),
    dispatch_expiry_minutes: dispatch.dispatch_expiry_minutes.optional(),
    call_retry_policy: CallRetryPolicy.nullable().optional(),
    starts_at: schedule.starts_at.nullable().optional(),
    ends_at: schedule.ends_at.nullable().optional(),
  })
  .refine((update) => Object.values(update).some((value) => value !== undefined), {
    error: 'send at least one field to change',
  })
  .superRefine(checkSettings)
  .meta({ id: 'CampaignUpdate', title: 'CampaignUpdate' });
export type CampaignUpdate = z.output<typeof CampaignUpdate>;

/** Query parameters that the execution contract lists on every execution endpoint. */
export const ExecutionQuery = z.object({
  obj_id: uuid('Obj Id').optional(),
  agent_id: uuid('Agent Id').optional(),
  customer_id: uuid('Customer Id').optional(),
  knowledge_base_id: uuid('Knowledge Base Id').optional(),
  id: uuid('Id').optional(),
});

export const CampaignIdParams = z.object({ campaign_id: uuid('Campaign Id') });

const segment = z.enum(resumeSegments).meta({ title: 'Segment' });

export const CampaignResumeRequest = z
  .object({ segment: segment.default('not_answered') })
  .meta({ id: 'CampaignResumeRequest', title: 'CampaignResumeRequest' });

const count = (title: string) => z.int().default(0).meta({ title });

export const CampaignResumeResult = z
  .object({
    campaign: CampaignOut,
    segment,
    selected_targets: count('Selected Targets'),
    scheduled_calls: count('Scheduled Calls'),
    queued_whatsapp: count('Queued Whatsapp'),
    skipped_existing_pending: count('Skipped Existing Pending'),
    skipped_missing_contact: count('Skipped Missing Contact'),
  })
  .meta({ id: 'CampaignResumeResult', title: 'CampaignResumeResult' });

import { v7 as uuidv7 } from 'uuid';
import type { Campaign, CampaignStatus } from '../../generated/prisma/client.js';
import type { GoalSpec } from '../../domain/goal.js';
import type { RetriedOutcome } from '../../domain/rounds.js';
import type { CallWindow } from '../../domain/working-hours.js';
import { toPage, type Page, type PageRequest } from '../pagination.js';
import { empty, join, raw, sql, uuids, type Db, type Sql } from '../sql.js';

export type { Campaign };

const CAMPAIGN_COLUMNS: Record<keyof Campaign, string> = {
  id: 'id',
  organizationId: 'organization_id',
  name: 'name',
  agentId: 'agent_id',
  phoneNumberId: 'phone_number_id',
  emailChannelId: 'email_channel_id',
  whatsappChannelId: 'whatsapp_channel_id',
  goal: 'goal',
  goalSpec: 'goal_spec',
  goalLogic: 'goal_logic',
  firstContactChannel: 'first_contact_channel',
  callOpeningMessage: 'call_opening_message',
  whatsappFirstMessage: 'whatsapp_first_message',
  whatsappAfterAttempts: 'whatsapp_after_attempts',
  callAttemptDelays: 'call_attempt_delays',
  callWorkingHours: 'call_working_hours',
  timezone: 'timezone',
  blackoutDates: 'blackout_dates',
  maxCallsPerMinute: 'max_calls_per_minute',
  maxConcurrentCalls: 'max_concurrent_calls',
  dispatchExpiryMinutes: 'dispatch_expiry_minutes',
  callRetryPolicy: 'call_retry_policy',
  startsAt: 'starts_at',
  endsAt: 'ends_at',
  recentDials: 'recent_dials',
  pacedUntil: 'paced_until',
  status: 'status',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};

/** The campaign columns of alias `alias`, named as the generated `Campaign` type names them. */
export const campaignColumns = (alias: string): Sql =>
  raw(
    Object.entries(CAMPAIGN_COLUMNS)
      .map(([field, column]) => `${alias}.${column} AS "${field}"`)
      .join(', '),
  );

/** A campaign's settings: name and agent on create, the others optional (an omitted one keeps its column default). */
export type CampaignWrite = Pick<Campaign, 'name' | 'agentId'> &
  Partial<
    Pick<
      Campaign,
      | 'phoneNumberId'
      | 'emailChannelId'
      | 'whatsappChannelId'
      | 'goal'
      | 'goalLogic'
      | 'firstContactChannel'
      | 'callOpeningMessage'
      | 'whatsappFirstMessage'
      | 'whatsappAfterAttempts'
      | 'callAttemptDelays'
      | 'timezone'
      | 'blackoutDates'
      | 'maxCallsPerMinute'
      | 'maxConcurrentCalls'
      | 'dispatchExpiryMinutes'
      | 'startsAt'
      | 'endsAt'
    >
  > & { goalSpec?: GoalSpec | null; callWorkingHours?: Omit<CallWindow, 'blackoutDates'>; callRetryPolicy?: StoredRetryPolicy | null };

/** `call_retry_policy` as stored: the API's field, snake case. */
export type StoredRetryPolicy = Partial<Record<RetriedOutcome, { delay_minutes: number; max_retries: number }>>;

/** The type each setting's parameter is cast to. */
const SETTING_TYPES: Record<keyof CampaignWrite, string> = {
  name: 'text',
  agentId: 'uuid',
  phoneNumberId: 'uuid',
  emailChannelId: 'uuid',
  whatsappChannelId: 'uuid',
  goal: 'text',
  goalSpec: 'jsonb',
  goalLogic: 'goal_logic',
  firstContactChannel: 'contact_channel',
  callOpeningMessage: 'text',
  whatsappFirstMessage: 'text',
  whatsappAfterAttempts: 'int',
  callAttemptDelays: 'int[]',
  callWorkingHours: 'jsonb',
  timezone: 'text',
  blackoutDates: 'text[]',
  maxCallsPerMinute: 'int',
  maxConcurrentCalls: 'int',
  dispatchExpiryMinutes: 'int',
  callRetryPolicy: 'jsonb',
  startsAt: 'timestamptz',
  endsAt: 'timestamptz',
};

/** The given settings as (column, value) pairs; undefined ones are left out. */
function settingColumns(data: Partial<CampaignWrite>): Array<[column: string, value: Sql]> {
  return (Object.keys(SETTING_TYPES) as Array<keyof CampaignWrite>).flatMap((field): Array<[string, Sql]> => {
    const value = data[field];
    if (value === undefined) return [];
    const type = SETTING_TYPES[field];
    // null clears a JSON column to SQL NULL, never to the JSON value null.
    const parameter = type === 'jsonb' && value !== null ? JSON.stringify(value) : value;
    return [[CAMPAIGN_COLUMNS[field], sql`${parameter}::${raw(type)}`]];
  });
}

export async function createCampaign(db: Db, organizationId: string, data: CampaignWrite, now: Date): Promise<Campaign> {
  // Time-ordered ids, increasing within the process: listing by id follows creation.
  const columns: Array<[string, Sql]> = [
    ['id', sql`${uuidv7()}::uuid`],
    ['organization_id', sql`${organizationId}::uuid`],
    ...settingColumns(data),
    ['created_at', sql`${now}`],
    ['updated_at', sql`${now}`],
  ];
  const [row] = await db.query<Campaign>(sql`
    INSERT INTO campaigns AS k (${raw(columns.map(([column]) => column).join(', '))})
    VALUES (${join(columns.map(([, value]) => value))})
    RETURNING ${campaignColumns('k')}`);
  return row!;
}

export async function findCampaign(db: Db, organizationId: string, id: string): Promise<Campaign | null> {
  const [row] = await db.query<Campaign>(sql`
    SELECT ${campaignColumns('k')} FROM campaigns k WHERE k.id = ${id}::uuid AND k.organization_id = ${organizationId}::uuid`);
  return row ?? null;
}

export async function listCampaigns(db: Db, organizationId: string, page: PageRequest): Promise<Page<Campaign>> {
  const rows = await db.query<Campaign>(sql`
    SELECT ${campaignColumns('k')} FROM campaigns k
    WHERE k.organization_id = ${organizationId}::uuid ${page.cursor ? sql`AND k.id > ${page.cursor}::uuid` : empty}
    ORDER BY k.id LIMIT ${page.limit + 1}`);
  return toPage(rows, page.limit);
}

/** Applies the update only while the campaign is still in one of `allowed`; false otherwise. */
export async function updateCampaignIfStatus(db: Db, id: string, allowed: CampaignStatus[], data: Partial<CampaignWrite>, now: Date): Promise<boolean> {
  const assignments = settingColumns(data).map(([column, value]) => sql`${raw(column)} = ${value}`);
  const rows = await db.query(sql`
    UPDATE campaigns SET ${join([...assignments, sql`updated_at = ${now}`])}
    WHERE id = ${id}::uuid AND status = ANY(${allowed}::campaign_status[]) RETURNING id`);
  return rows.length === 1;
}

/** Reads campaigns without locking them (to decide how to lock them). */
export async function findCampaignsByIds(db: Db, ids: readonly string[]): Promise<Map<string, Campaign>> {
  const rows = await db.query<Campaign>(sql`SELECT ${campaignColumns('k')} FROM campaigns k WHERE k.id = ANY(${uuids(ids)})`);
  return new Map(rows.map((row) => [row.id, row]));
}

export async function findCampaignById(db: Db, id: string): Promise<Campaign | null> {
  const [row] = await db.query<Campaign>(sql`SELECT ${campaignColumns('k')} FROM campaigns k WHERE k.id = ${id}::uuid`);
  return row ?? null;
}

/** Conditional status changes, one per campaign (`WHERE status = from`): how many were made. */
/** Running or paused campaigns whose ends_at has come, earliest end first (campaigns_ending_idx). */
export async function campaignsPastEnd(db: Db, now: Date, limit: number): Promise<string[]> {
  const rows = await db.query<{ id: string }>(sql`
    SELECT id FROM campaigns WHERE ends_at IS NOT NULL AND ends_at <= ${now} AND status IN ('running', 'paused')
    ORDER BY ends_at LIMIT ${limit}`);
  return rows.map((row) => row.id);
}

export async function transitionCampaigns(
  tx: Db,
  changes: ReadonlyArray<{ id: string; from: CampaignStatus; to: CampaignStatus }>,
  now: Date,
): Promise<number> {
  if (changes.length === 0) return 0;
  const rows = await tx.query(sql`
    UPDATE campaigns k SET status = x.to_status::campaign_status, updated_at = ${now}
    FROM unnest(${uuids(changes.map((change) => change.id))}, ${changes.map((change) => change.from)}::text[], ${changes.map((change) => change.to)}::text[])
      AS x(id, from_status, to_status)
    WHERE k.id = x.id AND k.status = x.from_status::campaign_status
    RETURNING k.id`);
  return rows.length;
}

/**
 * Stores a paced campaign's dials of the last minute: `dials` are all of them (those read under
 * the campaign's lock plus the batch's own), not only new ones; dials older than `since` are dropped.
 */
export async function recordDials(tx: Db, campaignId: string, dials: Date[], since: Date): Promise<void> {
  await tx.query(sql`
    UPDATE campaigns
    SET recent_dials = ARRAY(SELECT d FROM unnest(${dials.map((d) => d.toISOString())}::timestamptz[]) d WHERE d > ${since} ORDER BY d)
    WHERE id = ${campaignId}::uuid`);
}

/** The last due time the hopper gave a paced campaign's calls. */
export async function setPacedUntil(tx: Db, campaignId: string, until: Date): Promise<void> {
  await tx.query(sql`UPDATE campaigns SET paced_until = ${until} WHERE id = ${campaignId}::uuid`);
}

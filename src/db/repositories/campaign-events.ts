import type { CampaignEvent, CampaignStatus } from '../../generated/prisma/client.js';
import type { Page, PageRequest } from '../pagination.js';
import { toPage } from '../pagination.js';
import { empty, raw, sql, timestamps, uuids, type Db } from '../sql.js';

export type { CampaignEvent };

export interface NewCampaignEvent {
  campaignId: string;
  command: string;
  fromStatus: CampaignStatus;
  toStatus: CampaignStatus;
  actor: string;
  requestId?: string | null;
  commandId?: string | null;
  /** Why the system moved the campaign by itself; absent for commands. */
  reason?: string | null;
  createdAt: Date;
}

const COLUMNS = raw(`id, campaign_id AS "campaignId", command, from_status AS "fromStatus", to_status AS "toStatus",
  actor, request_id AS "requestId", command_id AS "commandId", reason, created_at AS "createdAt"`);

/** Appends the events in their order (their ids, uuid v7, follow it). */
export async function appendCampaignEvents(tx: Db, events: readonly NewCampaignEvent[]): Promise<void> {
  if (events.length === 0) return;
  const column = <T>(pick: (event: NewCampaignEvent) => T) => events.map(pick);
  await tx.query(sql`
    INSERT INTO campaign_events (id, campaign_id, command, from_status, to_status, actor, request_id, command_id, reason, created_at)
    SELECT uuid_generate_v7(), x.campaign_id, x.command, x.from_status::campaign_status, x.to_status::campaign_status, x.actor, x.request_id,
           x.command_id, x.reason, x.created_at
    FROM unnest(${uuids(column((e) => e.campaignId))}, ${column((e) => e.command)}::text[], ${column((e) => e.fromStatus)}::text[],
                ${column((e) => e.toStatus)}::text[], ${column((e) => e.actor)}::text[], ${column((e) => e.requestId ?? null)}::text[],
                ${column((e) => e.commandId ?? null)}::uuid[], ${column((e) => e.reason ?? null)}::text[], ${timestamps(column((e) => e.createdAt))})
      WITH ORDINALITY AS x(campaign_id, command, from_status, to_status, actor, request_id, command_id, reason, created_at, n)
    ORDER BY x.n`);
}

export async function listCampaignEvents(db: Db, campaignId: string, page: PageRequest): Promise<Page<CampaignEvent>> {
  const rows = await db.query<CampaignEvent>(sql`
    SELECT ${COLUMNS} FROM campaign_events
    WHERE campaign_id = ${campaignId}::uuid ${page.cursor ? sql`AND id > ${page.cursor}::uuid` : empty}
    ORDER BY id LIMIT ${page.limit + 1}`);
  return toPage(rows, page.limit);
}

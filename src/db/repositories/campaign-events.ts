import type { CampaignEvent, CampaignStatus } from '../../generated/prisma/client.js';
import type { Page, PageRequest } from '../pagination.js';
import { toPage } from '../pagination.js';
import { empty, raw, sql, type Db } from '../sql.js';

export type { CampaignEvent };

export interface NewCampaignEvent {
  campaignId: string;
  command: string;
  fromStatus: CampaignStatus;
  toStatus: CampaignStatus;
  actor: string;
  requestId?: string | null;
  commandId?: string | null;
  createdAt: Date;
}

const COLUMNS = raw(`id, campaign_id AS "campaignId", command, from_status AS "fromStatus", to_status AS "toStatus",
  actor, request_id AS "requestId", command_id AS "commandId", created_at AS "createdAt"`);

export async function appendCampaignEvent(tx: Db, event: NewCampaignEvent): Promise<void> {
  await tx.query(sql`
    INSERT INTO campaign_events (id, campaign_id, command, from_status, to_status, actor, request_id, command_id, created_at)
    VALUES (uuid_generate_v7(), ${event.campaignId}::uuid, ${event.command}, ${event.fromStatus}::campaign_status,
            ${event.toStatus}::campaign_status, ${event.actor}, ${event.requestId ?? null}, ${event.commandId ?? null}::uuid, ${event.createdAt})`);
}

export async function listCampaignEvents(db: Db, campaignId: string, page: PageRequest): Promise<Page<CampaignEvent>> {
  const rows = await db.query<CampaignEvent>(sql`
    SELECT ${COLUMNS} FROM campaign_events
    WHERE campaign_id = ${campaignId}::uuid ${page.cursor ? sql`AND id > ${page.cursor}::uuid` : empty}
    ORDER BY id LIMIT ${page.limit + 1}`);
  return toPage(rows, page.limit);
}

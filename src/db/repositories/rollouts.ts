import type { Rollout, RolloutKind, TargetState } from '../../generated/prisma/client.js';
import { empty, join, raw, sql, timestamps, uuids, type Db, type Sql } from '../sql.js';

export type { Rollout };

/** The columns of a rollout (alias `r`), named as the ORM's `Rollout` type names them. */
export const rolloutColumns = raw(`r.id, r.campaign_id AS "campaignId", r.command_id AS "commandId", r.kind, r.segment,
  r.created_at AS "createdAt", r.cursor, r.selected, r.scheduled_calls AS "scheduledCalls",
  r.queued_whatsapp AS "queuedWhatsapp", r.skipped_existing_pending AS "skippedExistingPending",
  r.skipped_missing_contact AS "skippedMissingContact", r.skipped_do_not_contact AS "skippedDoNotContact",
  r.finished_at AS "finishedAt"`);

const FIRST_ID = '00000000-0000-0000-0000-000000000000';

export interface NewRollout {
  campaignId: string;
  commandId: string | null;
  kind: RolloutKind;
  segment: TargetState | null;
  createdAt: Date;
}

export async function createRollouts(tx: Db, rollouts: readonly NewRollout[]): Promise<Rollout[]> {
  if (rollouts.length === 0) return [];
  const column = <T>(pick: (rollout: NewRollout) => T) => rollouts.map(pick);
  return tx.query<Rollout>(sql`
    INSERT INTO rollouts AS r (id, campaign_id, command_id, kind, segment, created_at, cursor)
    SELECT uuid_generate_v7(), x.campaign_id, x.command_id, x.kind::rollout_kind, x.segment::target_state, x.created_at, ${FIRST_ID}::uuid
    FROM unnest(${uuids(column((r) => r.campaignId))}, ${column((r) => r.commandId)}::uuid[], ${column((r) => r.kind)}::text[],
                ${column((r) => r.segment)}::text[], ${timestamps(column((r) => r.createdAt))})
      WITH ORDINALITY AS x(campaign_id, command_id, kind, segment, created_at, n)
    ORDER BY x.n
    RETURNING ${rolloutColumns}`);
}

/** Which of the campaigns have an active rollout (of `kind`, when given). */
export async function campaignsWithActiveRollout(db: Db, campaignIds: readonly string[], kind?: RolloutKind): Promise<Set<string>> {
  if (campaignIds.length === 0) return new Set();
  const rows = await db.query<{ campaignId: string }>(sql`
    SELECT DISTINCT campaign_id AS "campaignId" FROM rollouts
    WHERE campaign_id = ANY(${uuids(campaignIds)}) AND finished_at IS NULL ${kind ? sql`AND kind = ${kind}::rollout_kind` : empty}`);
  return new Set(rows.map((row) => row.campaignId));
}

/** The campaign's rollouts still opening rounds, oldest first. */
export async function activeRollouts(db: Db, campaignId: string): Promise<Rollout[]> {
  return db.query<Rollout>(sql`
    SELECT ${rolloutColumns} FROM rollouts r WHERE r.campaign_id = ${campaignId}::uuid AND r.finished_at IS NULL ORDER BY r.created_at, r.id`);
}

/** For every running campaign, the rollout to run next: its oldest active one. */
export async function rolloutsToRun(db: Db): Promise<Rollout[]> {
  return db.query<Rollout>(sql`
    SELECT DISTINCT ON (r.campaign_id) ${rolloutColumns}
    FROM rollouts r JOIN campaigns k ON k.id = r.campaign_id AND k.status = 'running'
    WHERE r.finished_at IS NULL
    ORDER BY r.campaign_id, r.created_at, r.id`);
}

export interface RolloutCounts {
  selected: number;
  scheduledCalls: number;
  queuedWhatsapp: number;
  skippedExistingPending: number;
  skippedMissingContact: number;
  skippedDoNotContact: number;
}

export const emptyRolloutCounts = (): RolloutCounts => ({
  selected: 0,
  scheduledCalls: 0,
  queuedWhatsapp: 0,
  skippedExistingPending: 0,
  skippedMissingContact: 0,
  skippedDoNotContact: 0,
});

export interface RolloutBatch {
  id: string;
  cursor: string;
  counts: RolloutCounts;
  /** Set once nothing is left. */
  finishedAt: Date | null;
}

/** Records one batch of each rollout, in one statement: each cursor moves past its batch, its counts add up. */
export async function recordRolloutBatches(tx: Db, batches: RolloutBatch[]): Promise<void> {
  if (batches.length === 0) return;
  const column = <T>(pick: (batch: RolloutBatch) => T) => batches.map(pick);
  const count = (key: keyof RolloutCounts) => column((batch) => batch.counts[key]);
  await tx.query(sql`
    UPDATE rollouts r SET cursor = b.cursor, finished_at = b.finished_at,
      selected = r.selected + b.selected,
      scheduled_calls = r.scheduled_calls + b.scheduled_calls,
      queued_whatsapp = r.queued_whatsapp + b.queued_whatsapp,
      skipped_existing_pending = r.skipped_existing_pending + b.skipped_existing_pending,
      skipped_missing_contact = r.skipped_missing_contact + b.skipped_missing_contact,
      skipped_do_not_contact = r.skipped_do_not_contact + b.skipped_do_not_contact
    FROM unnest(${column((batch) => batch.id)}::uuid[], ${column((batch) => batch.cursor)}::uuid[],
                ${column((batch) => batch.finishedAt?.toISOString() ?? null)}::timestamptz[],
                ${count('selected')}::int[], ${count('scheduledCalls')}::int[], ${count('queuedWhatsapp')}::int[],
                ${count('skippedExistingPending')}::int[], ${count('skippedMissingContact')}::int[], ${count('skippedDoNotContact')}::int[])
      AS b(id, cursor, finished_at, selected, scheduled_calls, queued_whatsapp, skipped_existing_pending, skipped_missing_contact, skipped_do_not_contact)
    WHERE r.id = b.id`);
}

/** Complete: the campaign's active rollouts finish, opening no more rounds. */
export async function finishRollouts(tx: Db, campaignId: string, now: Date): Promise<void> {
  await tx.query(sql`UPDATE rollouts SET finished_at = ${now} WHERE campaign_id = ${campaignId}::uuid AND finished_at IS NULL`);
}

/**
 * The targets a rollout selects (alias `t`): a start selects targets that never had a round; a
 * resume selects its segment's targets that were idle when it was created (one still busy then
 * was reported as skipped_existing_pending and does not get the round later).
 */
export function selectionSql(rollout: Pick<Rollout, 'kind' | 'segment' | 'createdAt'>): Sql {
  if (rollout.kind === 'start') return sql`t.round = 0`;
  return sql`t.state = ${rollout.segment}::target_state AND (t.idle_since IS NULL OR t.idle_since <= ${rollout.createdAt})`;
}

/** Targets whose round active rollouts will still open (alias `t`): work owed to them though no row exists yet. */
export function awaitingSql(rollouts: Rollout[]): Sql {
  if (rollouts.length === 0) return sql`false`;
  return sql`(${join(
    rollouts.map((rollout) => sql`(t.id > ${rollout.cursor}::uuid AND ${selectionSql(rollout)})`),
    ' OR ',
  )})`;
}

/** The rollout a start or resume command recorded, if any. */
export async function rolloutOfCommand(db: Db, commandId: string): Promise<Rollout | null> {
  const [row] = await db.query<Rollout>(sql`SELECT ${rolloutColumns} FROM rollouts r WHERE r.command_id = ${commandId}::uuid`);
  return row ?? null;
}

import { channelNamed, type ChannelName } from '../channels.js';
import { DomainError } from '../domain/errors.js';
import type { Call, WhatsappMessage } from '../generated/prisma/client.js';
import { callColumns } from './repositories/calls.js';
import { campaignColumns, type Campaign } from './repositories/campaigns.js';
import type { WorkSnapshotRow } from './repositories/dispatch.js';
import { listedSql } from './repositories/do-not-contact.js';
import { messageColumns } from './repositories/messages.js';
import { rolloutColumns, type Rollout } from './repositories/rollouts.js';
import { lockedTargetColumns, type LockedTarget } from './repositories/target-progress.js';
import { raw, sql, type Db, type Sql } from './sql.js';

/**
 * The lock order: every lock of the system, in the order a transaction may take them. A
 * transaction takes its locks level by level, and within a level in id order, so two
 * transactions never wait for each other in a circle: no deadlock. The helpers below refuse a
 * lock of an earlier level than one the transaction holds (`LockOrderViolation`). Each level
 * says who takes it and why it sits where it does.
 */
export const lockOrder = [
  // The dispatch guard, for organizations with a call limit (FOR NO KEY UPDATE): their claims
  // go one batch at a time. First: the limit decides how the guard locks their campaigns.
  'organizations',
  // Lifecycle commands (FOR UPDATE): one command of a campaign at a time, and every other lock
  // of the campaign waits for it. The dispatch guard, for campaigns with pacing limits or of a
  // limited organization (FOR NO KEY UPDATE): one claim batch at a time counts and records the
  // dials; it takes them before its other campaigns. The hopper takes this lock on a paced
  // campaign before its rows, as the guard does: the one lock allowed after a later level
  // (`lockPacedCampaign` says why).
  'exclusive campaigns',
  // FOR KEY SHARE: the hopper, rollout batches, the dispatch guard's other campaigns, report
  // transactions (call outcomes, WhatsApp events), target events, do-not-contact; FOR SHARE: the
  // targets import. Each takes its campaign before its rollouts, targets and rows, so it and a
  // lifecycle command, which writes those under its exclusive lock, meet at the campaign.
  'shared campaigns',
  // Rollout batches (FOR UPDATE SKIP LOCKED: a rollout another process runs a batch of is
  // skipped). A complete command finishes its campaign's rollouts under its exclusive lock, so a
  // batch locks its campaign first.
  'rollouts',
  // FOR UPDATE: report transactions, target events and do-not-contact (a target changes one report
  // at a time), rollout batches (the batch's targets). Before rows: each goes on to lock or write
  // the targets' calls and messages.
  'targets',
  // Calls and WhatsApp messages, FOR UPDATE: the dispatch guard, report transactions, the
  // reconciler's rows whose job was lost; the hopper's due rows (SKIP LOCKED). A row is locked
  // after its campaign, and after its target where that is locked too.
  'rows',
  // Advisory keys of (organization, number): the dispatch guard, for organizations with contact
  // caps, so that two batches claiming calls to one number (from two campaigns, say) count and
  // record its dials one after the other. Last: the guard knows the numbers only from its rows.
  'contacts',
] as const;

/*
 * Locks that never wait (a try-advisory lock, SKIP LOCKED) cannot close a circle when they
 * are taken, so the helpers let them come at any point. What they hold can still make others
 * wait: a row taken SKIP LOCKED (a rollout, due rows) counts toward the level the transaction
 * holds, and no waiting lock of an earlier level may follow it. Advisory keys that are only
 * ever tried (the hopper's) make no one wait, and have no level.
 *
 * Statements that lock the rows they select, whose ids are not known beforehand, stay in their
 * repositories and declare their lock here first (`declareSelectedLock`): a rollout
 * batch's targets (repositories/rollout-targets.ts `nextRolloutTargets`), the hopper's due rows
 * (repositories/hopper.ts `lockDueWork`); the targets import's FOR SHARE of its campaign (repositories/targets.ts
 * `insertTargetsUnlessRunning`) and the reconciler's rows whose job was lost, locked in id order
 * (repositories/reconcile.ts `unpromoteLost`), declare theirs with `declareLock`.
 *
 * Plain writes lock the rows they change too, without a helper. They come after their
 * transaction's helper locks, on what it holds or on the levels after it (the calls and
 * messages of targets it holds); a lifecycle command's writes all belong to the campaign it
 * holds exclusively, which keeps out every transaction that locks that campaign.
 */

export type LockLevel = (typeof lockOrder)[number];

/**
 * Advisory lock keys are one number space for the whole database. A key is the hash of an id
 * seeded with its use's namespace, so the same id locked for two uses gives two keys: one use
 * never blocks or skips the other. The namespaces:
 * - `campaignHopper` (7): one process at a time promotes a campaign (`tryLockCampaignHopper`).
 *   Its value is kept across versions: two processes of different versions during a deploy
 *   must compute the same key.
 * - `contact` (8): one claim batch at a time counts a number's dials against the caps
 *   (`lockContacts`).
 * - Prisma's migration key (src/db/migrations/deploy.ts): Prisma's own fixed number, a session
 *   lock that the migration runner takes on a connection of its own, outside any transaction
 *   of the system's.
 */
export const advisoryNamespaces = { campaignHopper: 7, contact: 8 } as const;

/**
 * A lock taken against the protocol above: out of order, or outside a transaction (where it
 * would end with its statement). A bug in the code, never in the data: no retry helps.
 */
export class LockOrderViolation extends DomainError {
  readonly kind = 'internal' as const;
  override name = 'LockOrderViolation';
}

/** What a transaction holds: its latest level that others may wait for, and the ids taken there. */
interface Held {
  level: number;
  ids: string[];
  /** A statement of this level locked rows it selected: their ids are unknown. */
  selected: boolean;
}

const heldBy = new WeakMap<object, Held>();

const ORDER = lockOrder.join(' → ');

/** The transaction `db` runs in; refuses the pool, where a lock would end with its statement. */
function transactionOf(db: Db, what: string): object {
  if (db.transactionKey === null) throw new LockOrderViolation(`${what} locked outside a transaction: the lock would end with its statement`);
  return db.transactionKey;
}

/**
 * Checks a lock against what the transaction holds, then records it; throws before anything is
 * locked. `ids` are the rows to lock, or 'selected' when the statement finds them itself.
 */
function take(db: Db, level: LockLevel, ids: readonly string[] | 'selected', wait: 'waits' | 'skips locked'): void {
  const transaction = transactionOf(db, level);
  if (ids !== 'selected' && ids.length === 0) return;
  const held = heldBy.get(transaction) ?? { level: -1, ids: [], selected: false };
  const at = lockOrder.indexOf(level);
  const ordered = ids === 'selected' ? [] : ids.map((id) => id.toLowerCase()).sort();
  if (wait === 'waits' && at < held.level) {
    throw new LockOrderViolation(`${level} locked after ${lockOrder[held.level]}: the order is ${ORDER} (src/db/locks.ts)`);
  }
  if (wait === 'waits' && at === held.level && (held.selected || ids === 'selected' || ordered[0]! <= held.ids.at(-1)!)) {
    throw new LockOrderViolation(`${level} locked after ${level} of the same or later ids: a level is taken in id order (src/db/locks.ts)`);
  }
  if (at > held.level) heldBy.set(transaction, { level: at, ids: ordered, selected: ids === 'selected' });
  else if (at === held.level) {
    held.ids = [...held.ids, ...ordered].sort();
    held.selected ||= ids === 'selected';
  }
}

/** For a statement elsewhere that locks known rows: checks and records its lock before it runs. */
export function declareLock(tx: Db, level: LockLevel, ids: readonly string[]): void {
  take(tx, level, ids, 'waits');
}

/** For a statement elsewhere that locks the rows it selects: checks and records its lock before it runs. */
export function declareSelectedLock(tx: Db, level: LockLevel, wait: 'waits' | 'skips locked'): void {
  take(tx, level, 'selected', wait);
}

const sorted = (ids: readonly string[]) => [...new Set(ids)].sort();

/** Locks the organizations (their call limits are checked by one claim batch at a time); returns their limits. */
export async function lockOrganizations(tx: Db, ids: readonly string[]): Promise<Map<string, number | null>> {
  take(tx, 'organizations', ids, 'waits');
  if (ids.length === 0) return new Map();
  const rows = await tx.query<{ id: string; limit: number | null }>(sql`
    SELECT id, max_concurrent_calls AS limit FROM organizations WHERE id = ANY(${sorted(ids)}::uuid[]) ORDER BY id FOR NO KEY UPDATE`);
  return new Map(rows.map((row) => [row.id, row.limit]));
}

const campaignsLocked = async (tx: Db, ids: readonly string[], lock: Sql) =>
  tx.query<Campaign>(sql`SELECT ${campaignColumns('k')} FROM campaigns k WHERE k.id = ANY(${sorted(ids)}::uuid[]) ORDER BY k.id ${lock}`);

/**
 * Locks the campaign row for the rest of the transaction: exclusively for a lifecycle command,
 * shared (its key) for work on the campaign's rollouts, targets and rows.
 */
export async function lockCampaign(tx: Db, id: string, mode: 'exclusive' | 'shared'): Promise<Campaign | null> {
  take(tx, mode === 'exclusive' ? 'exclusive campaigns' : 'shared campaigns', [id], 'waits');
  const [row] = await campaignsLocked(tx, [id], mode === 'exclusive' ? sql`FOR UPDATE` : sql`FOR KEY SHARE`);
  return row ?? null;
}

/** Locks several campaigns exclusively, in id order (lifecycle commands applied together). */
export async function lockCampaignsExclusively(tx: Db, ids: readonly string[]): Promise<Map<string, Campaign>> {
  take(tx, 'exclusive campaigns', ids, 'waits');
  if (ids.length === 0) return new Map();
  const rows = await campaignsLocked(tx, ids, sql`FOR UPDATE`);
  return new Map(rows.map((row) => [row.id, row]));
}

/** Locks several campaigns shared, in id order. */
export async function shareCampaigns(tx: Db, ids: readonly string[]): Promise<Map<string, Campaign>> {
  take(tx, 'shared campaigns', ids, 'waits');
  if (ids.length === 0) return new Map();
  const rows = await campaignsLocked(tx, ids, sql`FOR KEY SHARE`);
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * Locks (organization, number) keys for the rest of the transaction (`contactKeyOf`). Taken in
 * the order of their advisory keys, not of the texts: two texts whose hashes collide are then
 * one lock, taken at one place in every transaction's order.
 */
export async function lockContacts(tx: Db, keys: readonly string[]): Promise<void> {
  take(tx, 'contacts', keys, 'waits');
  if (keys.length === 0) return;
  await tx.query(sql`
    SELECT pg_advisory_xact_lock(h.key) FROM (
      SELECT DISTINCT hashtextextended(k, ${advisoryNamespaces.contact}) AS key FROM unnest(${sorted(keys)}::text[]) AS k ORDER BY 1
    ) h`);
}

/**
 * Locks the campaigns of a dispatch batch: the `paced` ones exclusively (their claims go one
 * batch at a time, and the batch records its dials on the row), then the others shared.
 */
export async function lockCampaignsForDispatch(tx: Db, ids: readonly string[], paced: ReadonlySet<string>): Promise<Map<string, Campaign>> {
  const exclusive = ids.filter((id) => paced.has(id));
  take(tx, 'exclusive campaigns', exclusive, 'waits');
  const rows = exclusive.length > 0 ? await campaignsLocked(tx, exclusive, sql`FOR NO KEY UPDATE`) : [];
  const shared = await shareCampaigns(
    tx,
    ids.filter((id) => !paced.has(id)),
  );
  return new Map([...rows.map((row) => [row.id, row] as const), ...shared]);
}

/**
 * Takes the dispatch guard's lock of a paced campaign (FOR NO KEY UPDATE) on the one campaign
 * the transaction holds shared, before it locks anything else (the hopper, which writes the
 * row). The one lock of an earlier level allowed after a later one: FOR NO KEY UPDATE does not
 * conflict with FOR KEY SHARE, so this upgrade waits as a fresh lock would, for holders of the
 * exclusive lock, and none of them waits for what the transaction holds: the campaign shared
 * (and tried advisory keys, which nobody waits for).
 */
export async function lockPacedCampaign(tx: Db, campaignId: string): Promise<void> {
  const held = heldBy.get(transactionOf(tx, 'exclusive campaigns'));
  const holdsOnlyIt =
    held?.level === lockOrder.indexOf('shared campaigns') && !held.selected && held.ids.length === 1 && held.ids[0] === campaignId.toLowerCase();
  if (!holdsOnlyIt) {
    const after = held ? `after ${lockOrder[held.level]}` : 'without holding it shared';
    throw new LockOrderViolation(
      `exclusive campaigns locked ${after}: only a transaction whose one lock is this campaign, shared, may take it so (src/db/locks.ts)`,
    );
  }
  await tx.query(sql`SELECT 1 FROM campaigns WHERE id = ${campaignId}::uuid FOR NO KEY UPDATE`);
}

/**
 * One hopper at a time per campaign across processes (its Redis budget is counted, then
 * spent): the campaigns among `campaignIds` whose key this transaction got; the others are
 * promoted by another process now. Released at commit.
 */
export async function tryLockCampaignHoppers(tx: Db, campaignIds: readonly string[]): Promise<Set<string>> {
  transactionOf(tx, 'the campaign hopper key');
  if (campaignIds.length === 0) return new Set();
  const rows = await tx.query<{ id: string }>(sql`
    SELECT c.id::text AS id FROM unnest(${campaignIds}::uuid[]) AS c(id)
    WHERE pg_try_advisory_xact_lock(hashtextextended(c.id::text, ${advisoryNamespaces.campaignHopper}))`);
  return new Set(rows.map((row) => row.id));
}

/** Locks active rollouts for one batch each; those finished, or run by another process now, are left out. */
export async function lockRollouts(tx: Db, ids: readonly string[]): Promise<Map<string, Rollout>> {
  take(tx, 'rollouts', ids, 'skips locked');
  if (ids.length === 0) return new Map();
  const rows = await tx.query<Rollout>(sql`
    SELECT ${rolloutColumns} FROM rollouts r WHERE r.id = ANY(${ids}::uuid[]) AND r.finished_at IS NULL ORDER BY r.id FOR UPDATE SKIP LOCKED`);
  return new Map(rows.map((row) => [row.id, row]));
}

/** Locks an active rollout for one batch; null when finished or another process runs a batch of it now. */
export async function lockRollout(tx: Db, id: string): Promise<Rollout | null> {
  take(tx, 'rollouts', [id], 'skips locked');
  const [row] = await tx.query<Rollout>(sql`
    SELECT ${rolloutColumns} FROM rollouts r WHERE r.id = ${id}::uuid AND r.finished_at IS NULL FOR UPDATE SKIP LOCKED`);
  return row ?? null;
}

/** Locks targets in id order: a target's reports apply one at a time. */
export async function lockTargets(tx: Db, ids: readonly string[]): Promise<Map<string, LockedTarget>> {
  take(tx, 'targets', ids, 'waits');
  if (ids.length === 0) return new Map();
  const rows = await tx.query<LockedTarget>(sql`
    SELECT ${lockedTargetColumns} FROM targets WHERE id = ANY(${sorted(ids)}::uuid[]) ORDER BY id FOR UPDATE`);
  return new Map(rows.map((row) => [row.id, row]));
}

export async function lockCalls(tx: Db, ids: readonly string[]): Promise<Call[]> {
  take(tx, 'rows', ids, 'waits');
  return tx.query<Call>(sql`SELECT ${callColumns} FROM calls c WHERE c.id = ANY(${sorted(ids)}::uuid[]) ORDER BY c.id FOR UPDATE`);
}

export async function lockMessages(tx: Db, ids: readonly string[]): Promise<WhatsappMessage[]> {
  take(tx, 'rows', ids, 'waits');
  return tx.query<WhatsappMessage>(sql`SELECT ${messageColumns} FROM whatsapp_messages m WHERE m.id = ANY(${sorted(ids)}::uuid[]) ORDER BY m.id FOR UPDATE`);
}

/** The rows with their target's zone and do-not-contact status, locked in id order (the dispatch guard). */
export async function lockWork(tx: Db, channel: ChannelName, ids: readonly string[]): Promise<WorkSnapshotRow[]> {
  take(tx, 'rows', ids, 'waits');
  const { table } = channelNamed(channel);
  return tx.query<WorkSnapshotRow>(sql`
    SELECT w.id, w.campaign_id AS "campaignId", k.organization_id AS "organizationId", w.target_id AS "targetId",
           w.status::text AS status, w.promotion, w.promoted_at IS NOT NULL AS promoted, w.scheduled_for AS "dueAt",
           coalesce(t.timezone, k.timezone) AS zone, t.phone, ${listedSql(raw('k.organization_id'))} AS listed
    FROM ${table} w JOIN targets t ON t.id = w.target_id JOIN campaigns k ON k.id = w.campaign_id
    WHERE w.id = ANY(${sorted(ids)}::uuid[])
    ORDER BY w.id
    FOR UPDATE OF w`);
}

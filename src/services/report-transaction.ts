import type { Campaign } from '../db/repositories/campaigns.js';
import { lockTargets, shareCampaigns } from '../db/locks.js';
import { rereadLockedTargets, type LockedTarget } from '../db/repositories/target-progress.js';
import type { Db } from '../db/sql.js';
import { mergeEffects, type AfterCommit } from './after-commit.js';
import type { ServiceDeps } from './deps.js';
import type { OwnedRequest } from './owned-work.js';
import { advanceTargets, type TargetChange } from './target-progress.js';

/** What a wave of reports sees: the locked campaigns, targets and reported rows (kept current). */
export interface ReportContext<Row> {
  tx: Db;
  campaigns: Map<string, Campaign>;
  targets: Map<string, LockedTarget>;
  rows: Map<string, Row>;
}

/**
 * The transaction every kind of report (call outcomes, WhatsApp events) runs in. Campaigns,
 * targets and the reported rows are locked as src/db/locks.ts orders them (a lifecycle command
 * waits, and cannot slip between reading a campaign and writing what follows). The reports are
 * applied in waves of at most one per target, each wave reading targets as the previous one
 * left them; `applyWave` writes its rows and says which targets to move on (goal, round end,
 * next step).
 */
export async function inReportTransaction<R, Row extends { id: string }>(
  deps: Pick<ServiceDeps, 'db'>,
  accepted: ReadonlyArray<OwnedRequest<R>>,
  rowIdOf: (report: R) => string,
  lockRows: (tx: Db, ids: string[]) => Promise<Row[]>,
  applyWave: (wave: ReadonlyArray<OwnedRequest<R>>, context: ReportContext<Row>) => Promise<TargetChange[]>,
  now: Date,
): Promise<AfterCommit> {
  return deps.db.sql.transaction(async (tx) => {
    const campaigns = await shareCampaigns(
      tx,
      accepted.map((entry) => entry.owner.campaignId),
    );
    const targets = await lockTargets(
      tx,
      accepted.map((entry) => entry.owner.targetId),
    );
    const rows = new Map(
      (
        await lockRows(
          tx,
          accepted.map((entry) => rowIdOf(entry.request)),
        )
      ).map((row) => [row.id, row]),
    );
    const applied: AfterCommit[] = [];
    for (let pending = accepted; pending.length > 0;) {
      const seen = new Set<string>();
      const wave = pending.filter((entry) => !seen.has(entry.owner.targetId) && seen.add(entry.owner.targetId));
      const inWave = new Set(wave);
      pending = pending.filter((entry) => !inWave.has(entry));
      const changes = await applyWave(wave, { tx, campaigns, targets, rows });
      if (changes.length > 0) applied.push((await advanceTargets(tx, campaigns, targets, changes, now)).effects);
      // A plain read: the transaction holds these targets already, and a lock of targets after
      // the rows would break the lock order for nothing.
      if (pending.length > 0) for (const [id, target] of await rereadLockedTargets(tx, [...targets.keys()])) targets.set(id, target);
    }
    return mergeEffects(...applied);
  });
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LockOrderViolation,
  lockCalls,
  lockCampaign,
  lockCampaignsForDispatch,
  lockOrganizations,
  lockPacedCampaign,
  lockRollout,
  lockTargets,
  shareCampaigns,
  tryLockCampaignHoppers,
} from '../../src/db/locks.js';
import { writeOpenings } from '../../src/db/repositories/rollout-targets.js';
import { createRollouts } from '../../src/db/repositories/rollouts.js';
import { startSqlDatabase } from '../support/sql-database.js';

// The lock protocol of src/db/locks.ts against a real database: the helpers refuse a lock out of
// order or outside a transaction, before taking anything, and let the documented order through.

let sqlDb: Awaited<ReturnType<typeof startSqlDatabase>>;
let organizationId: string;
/** Two campaigns in id order, each with two targets with a call. */
let campaigns: string[];
let targets: string[];
let calls: string[];
let rolloutId: string;

beforeAll(async () => {
  sqlDb = await startSqlDatabase();
  organizationId = await sqlDb.organization();
  campaigns = [await sqlDb.campaign(organizationId), await sqlDb.campaign(organizationId)].sort();
  targets = [];
  for (const [n, campaignId] of campaigns.entries()) {
    const ids = await sqlDb.targets(campaignId, 2, { from: n * 10 + 1 });
    await writeOpenings(
      sqlDb.db,
      ids.map((targetId) => ({ targetId, callDue: new Date(), message: null })),
      new Date(),
    );
    targets.push(...ids);
  }
  targets.sort();
  const { rows } = await sqlDb.pool.query<{ id: string }>('SELECT id FROM calls WHERE campaign_id = ANY($1) ORDER BY id', [campaigns]);
  calls = rows.map((row) => row.id);
  rolloutId = (await createRollouts(sqlDb.db, [{ campaignId: campaigns[0]!, commandId: null, kind: 'start', segment: null, createdAt: new Date() }]))[0]!.id;
});
afterAll(() => sqlDb?.close());

/** Whether another transaction could lock the row exclusively now (NOWAIT: it fails at once if not). */
async function lockable(table: 'campaigns' | 'targets', id: string): Promise<boolean> {
  const client = await sqlDb.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT 1 FROM ${table} WHERE id = $1 FOR UPDATE NOWAIT`, [id]);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') return false;
    throw error;
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

describe('a lock out of order', () => {
  it('is refused before anything is locked, naming both levels', async () => {
    await sqlDb.db.transaction(async (tx) => {
      await lockTargets(tx, [targets[0]!]);
      const refused = lockCampaign(tx, campaigns[0]!, 'shared');
      await expect(refused).rejects.toThrow(LockOrderViolation);
      await expect(refused).rejects.toThrow('shared campaigns locked after targets');
      // The refused lock was not taken; the one before it was.
      expect(await lockable('campaigns', campaigns[0]!)).toBe(true);
      expect(await lockable('targets', targets[0]!)).toBe(false);
    });
  });

  it('is final: a bug, not a failure to retry', async () => {
    await sqlDb.db.transaction(async (tx) => {
      await lockCalls(tx, [calls[0]!]);
      const error = await lockTargets(tx, [targets[0]!]).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(LockOrderViolation);
      expect(error).toMatchObject({ retryable: false, kind: 'internal' });
    });
  });

  it('within a level, is refused unless its ids come after those already locked there', async () => {
    await sqlDb.db.transaction(async (tx) => {
      await shareCampaigns(tx, [campaigns[1]!]);
      await expect(shareCampaigns(tx, [campaigns[0]!])).rejects.toThrow('shared campaigns locked after shared campaigns');
      await expect(shareCampaigns(tx, [campaigns[1]!])).rejects.toThrow(LockOrderViolation);
    });
    await sqlDb.db.transaction(async (tx) => {
      await lockTargets(tx, [targets[0]!]);
      await lockTargets(tx, [targets[1]!, targets[2]!]);
    });
  });

  it('counts across nested transactions (the record belongs to the transaction, not to its Db)', async () => {
    await sqlDb.db.transaction(async (tx) => {
      await lockTargets(tx, [targets[0]!]);
      await tx.transaction(async (inner) => {
        await expect(lockCampaign(inner, campaigns[0]!, 'exclusive')).rejects.toThrow('exclusive campaigns locked after targets');
      });
    });
    // A new transaction starts from nothing.
    await sqlDb.db.transaction((tx) => lockCampaign(tx, campaigns[0]!, 'exclusive'));
  });

  it('after a lock taken SKIP LOCKED is refused too: others wait for what that holds (a rollout batch locks its campaign before its rollout)', async () => {
    await sqlDb.db.transaction(async (tx) => {
      expect(await lockRollout(tx, rolloutId)).not.toBeNull();
      await expect(lockCampaign(tx, campaigns[0]!, 'shared')).rejects.toThrow('shared campaigns locked after rollouts');
    });
    // A lock that never waits may come after a later level.
    await sqlDb.db.transaction(async (tx) => {
      await lockTargets(tx, [targets[0]!]);
      expect(await lockRollout(tx, rolloutId)).not.toBeNull();
      expect(await tryLockCampaignHoppers(tx, [campaigns[0]!])).toEqual(new Set([campaigns[0]!]));
    });
  });

  it("takes a paced campaign's lock only on the one campaign the transaction holds shared, before anything else (the hopper)", async () => {
    await sqlDb.db.transaction(async (tx) => {
      await lockCampaign(tx, campaigns[0]!, 'shared');
      expect(await tryLockCampaignHoppers(tx, [campaigns[0]!])).toEqual(new Set([campaigns[0]!]));
      await lockPacedCampaign(tx, campaigns[0]!);
    });
    await sqlDb.db.transaction(async (tx) => {
      await shareCampaigns(tx, campaigns);
      await expect(lockPacedCampaign(tx, campaigns[0]!)).rejects.toThrow('exclusive campaigns locked after shared campaigns');
    });
    await sqlDb.db.transaction(async (tx) => {
      await lockCampaign(tx, campaigns[0]!, 'shared');
      await lockTargets(tx, [targets[0]!]);
      await expect(lockPacedCampaign(tx, campaigns[0]!)).rejects.toThrow('exclusive campaigns locked after targets');
    });
  });
});

describe('the documented order', () => {
  it('passes: organizations, exclusive then shared campaigns, rollouts, targets, rows', async () => {
    await sqlDb.db.transaction(async (tx) => {
      expect(await lockOrganizations(tx, [organizationId])).toEqual(new Map([[organizationId, null]]));
      const locked = await lockCampaignsForDispatch(tx, [campaigns[1]!, campaigns[0]!], new Set([campaigns[1]!]));
      expect([...locked.keys()].sort()).toEqual(campaigns);
      expect(await lockRollout(tx, rolloutId)).not.toBeNull();
      expect([...(await lockTargets(tx, [...targets].reverse())).keys()]).toEqual(targets);
      expect((await lockCalls(tx, calls)).map((call) => call.id)).toEqual(calls);
      expect(await lockable('targets', targets[0]!)).toBe(false);
    });
  });

  it('lets two transactions that take the same locks, the ids given in opposite orders, both finish', async () => {
    const order: string[] = [];
    const run = (name: string, ids: (list: string[]) => string[]) =>
      sqlDb.db.transaction(async (tx) => {
        await shareCampaigns(tx, ids(campaigns));
        await lockTargets(tx, ids(targets));
        order.push(`${name} holds the targets`);
        // Long enough for the other to be waiting meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 100));
        await lockCalls(tx, ids(calls));
        order.push(`${name} done`);
      });
    await Promise.all([run('first', (list) => [...list]), run('second', (list) => [...list].reverse())]);
    // One after the other at the targets, neither failing (a deadlock fails one of them).
    expect(order).toHaveLength(4);
    expect(order[1]).toMatch(/done$/);
  });
});

describe('a lock outside a transaction', () => {
  it('is refused: it would end with its statement', async () => {
    await expect(lockCampaign(sqlDb.db, campaigns[0]!, 'shared')).rejects.toThrow('shared campaigns locked outside a transaction');
    await expect(lockTargets(sqlDb.db, [targets[0]!])).rejects.toThrow(LockOrderViolation);
    await expect(tryLockCampaignHoppers(sqlDb.db, [campaigns[0]!])).rejects.toThrow(LockOrderViolation);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelNamed } from '../../src/channels.js';
import { nextRolloutTargets, writeOpenings } from '../../src/db/repositories/rollout-targets.js';
import { lockDueWork, markPromoted } from '../../src/db/repositories/hopper.js';
import { unpromoteLost } from '../../src/db/repositories/reconcile.js';
import type { Rollout } from '../../src/db/repositories/rollouts.js';
import { cancelWaiting, refreshPending } from '../../src/db/repositories/work.js';
import { rolloutFixture, startSqlDatabase } from '../support/sql-database.js';

// The set-based statements of the hopper and of outcome recording, against a real database.

let sqlDb: Awaited<ReturnType<typeof startSqlDatabase>>;
let organizationId: string;
const WHATSAPP_CHANNEL = '6c3a1c0e-2f7b-4c55-9a51-0d0f6c1b2a33';

beforeAll(async () => {
  sqlDb = await startSqlDatabase();
  organizationId = await sqlDb.organization();
});
afterAll(() => sqlDb?.close());

const startRollout = (campaignId: string, cursor?: string): Rollout => rolloutFixture(campaignId, cursor ? { cursor } : {});
const scope = { organizationId: '', campaignTimezone: 'Europe/Paris', listEmpty: true };
const rowsOf = async <T>(text: string, values: unknown[]) => (await sqlDb.pool.query(text, values)).rows as T[];

describe('running a rollout', () => {
  it('walks the targets that never had a round, in id order after the cursor, and opening bumps them', async () => {
    const campaignId = await sqlDb.campaign(organizationId);
    const ids = await sqlDb.targets(campaignId, 10);
    const first = await sqlDb.db.transaction((tx) => nextRolloutTargets(tx, startRollout(campaignId), { ...scope, organizationId }, 4));
    expect(first.map((candidate) => candidate.id)).toEqual(ids.slice(0, 4));
    expect(first[0]).toMatchObject({ hasPending: false, hasPhone: true, hasWhatsapp: false, listed: false, zone: 'Europe/Paris' });

    const due = new Date('2026-12-01T09:00:00Z');
    await writeOpenings(
      sqlDb.db,
      first.map((candidate) => ({ targetId: candidate.id, callDue: due, message: null })),
      new Date(),
    );
    const after = await sqlDb.db.transaction((tx) => nextRolloutTargets(tx, startRollout(campaignId, ids[3]), { ...scope, organizationId }, 100));
    expect(after.map((candidate) => candidate.id)).toEqual(ids.slice(4));
    // From the start again: the opened targets are no longer candidates of a start rollout.
    const again = await sqlDb.db.transaction((tx) => nextRolloutTargets(tx, startRollout(campaignId), { ...scope, organizationId }, 100));
    expect(again.map((candidate) => candidate.id)).toEqual(ids.slice(4));

    const opened = await rowsOf<{ round: number; last_attempt: number; has_pending: boolean }>(
      'SELECT round, last_attempt, has_pending FROM targets WHERE id = ANY($1) ORDER BY id',
      [ids.slice(0, 4)],
    );
    expect(opened).toEqual(Array(4).fill({ round: 1, last_attempt: 1, has_pending: true }));
    const calls = await rowsOf<{ attempt: number; round_attempt: number; status: string; scheduled_for: Date }>(
      'SELECT attempt, round_attempt, status, scheduled_for FROM calls WHERE campaign_id = $1',
      [campaignId],
    );
    expect(calls).toEqual(Array(4).fill({ attempt: 1, round_attempt: 1, status: 'scheduled', scheduled_for: due }));
  });

  it('opens WhatsApp-only rounds with a message that ends the round, and attempt numbers untouched', async () => {
    const campaignId = await sqlDb.campaign(organizationId, { whatsappChannelId: WHATSAPP_CHANNEL });
    const [id] = await sqlDb.targets(campaignId, 1, { whatsapp: true });
    await writeOpenings(sqlDb.db, [{ targetId: id!, callDue: null, message: { endsRound: true, due: new Date() } }], new Date());
    expect(await rowsOf('SELECT round, last_attempt FROM targets WHERE id = $1', [id])).toEqual([{ round: 1, last_attempt: 0 }]);
    expect(await rowsOf('SELECT kind, ends_round, status FROM whatsapp_messages WHERE target_id = $1', [id])).toEqual([
      { kind: 'first', ends_round: true, status: 'queued' },
    ]);
  });
});

describe('promotion', () => {
  it('takes due work of every channel in due order: messages do not starve behind a call backlog', async () => {
    const campaignId = await sqlDb.campaign(organizationId, { whatsappChannelId: WHATSAPP_CHANNEL });
    const ids = await sqlDb.targets(campaignId, 300, { whatsapp: true, from: 10_000 });
    const t0 = Date.parse('2026-12-01T09:00:00Z');
    // 250 calls due from 09:00, one a second; 50 messages due at 09:01:00.
    await writeOpenings(
      sqlDb.db,
      ids.map((targetId, i) =>
        i < 250
          ? { targetId, callDue: new Date(t0 + i * 1000), message: null }
          : { targetId, callDue: null, message: { endsRound: true, due: new Date(t0 + 60_000) } },
      ),
      new Date(),
    );
    const { rows: due } = await sqlDb.db.transaction((tx) => lockDueWork(tx, [{ campaignId, budget: 100 }], new Date(t0 + 3600_000), 100));
    expect(due).toHaveLength(100);
    expect(due.map((row) => row.scheduled_for.getTime())).toEqual([...due.map((row) => row.scheduled_for.getTime())].sort((a, b) => a - b));
    // Calls due 09:00:00–09:01:00 (61 of them) come first, then the 39 earliest of the messages.
    expect(due.filter((row) => row.channel === 'call')).toHaveLength(61);
    expect(due.filter((row) => row.channel === 'whatsapp')).toHaveLength(39);
    expect(due.find((row) => row.channel === 'call')).toMatchObject({ attempt: 1, phone: expect.stringMatching(/^\+1555/) });
    expect(due.find((row) => row.channel === 'whatsapp')).toMatchObject({ kind: 'first', whatsapp: expect.stringMatching(/^\+1666/) });
  });

  it('takes several campaigns in one read, each up to its budget, and says where a full read was cut', async () => {
    const due = new Date('2026-12-01T09:00:00Z');
    const campaigns: string[] = [];
    for (const from of [20_000, 20_100, 20_200]) {
      const campaignId = await sqlDb.campaign(organizationId);
      const ids = await sqlDb.targets(campaignId, 5, { from });
      await writeOpenings(
        sqlDb.db,
        ids.map((targetId) => ({ targetId, callDue: due, message: null })),
        new Date(),
      );
      campaigns.push(campaignId);
    }
    const read = (limit: number) =>
      sqlDb.db.transaction(async (tx) => {
        const { rows, cutFrom } = await lockDueWork(
          tx,
          campaigns.map((campaignId) => ({ campaignId, budget: 3 })),
          due,
          limit,
        );
        return { perCampaign: campaigns.map((campaignId) => rows.filter((row) => row.campaign_id === campaignId).length), cutFrom };
      });
    // Room for everything: 3 of each (their budget), nothing cut.
    expect(await read(100)).toEqual({ perCampaign: [3, 3, 3], cutFrom: null });
    // Seven rows: the third campaign was reached but not read to its end; it and later ones may have more.
    expect(await read(7)).toEqual({ perCampaign: [3, 3, 1], cutFrom: 2 });
  });
});

describe('cancel, pending flags and reconciliation', () => {
  it('cancels waiting work, names only rows that had a job, and marks the targets idle', async () => {
    const campaignId = await sqlDb.campaign(organizationId);
    const [a, b] = await sqlDb.targets(campaignId, 2, { from: 20_000 });
    await writeOpenings(
      sqlDb.db,
      [a!, b!].map((targetId) => ({ targetId, callDue: new Date(), message: null })),
      new Date(),
    );
    const [promoted] = await rowsOf<{ id: string }>('SELECT id FROM calls WHERE target_id = $1', [a]);
    await markPromoted(sqlDb.db, [{ channel: 'call', id: promoted!.id, dueAt: new Date() }], new Date());

    const withdrawn = await cancelWaiting(sqlDb.db, { targets: [a!, b!] }, 'goal_met', new Date());
    expect(withdrawn).toEqual([{ channel: 'call', id: promoted!.id, promotion: 1 }]);
    const idleAt = new Date('2026-12-01T12:00:00Z');
    expect(await refreshPending(sqlDb.db, [a!, b!], idleAt)).toEqual({ idleTargets: expect.arrayContaining([a, b]), idleCampaigns: [campaignId] });
    expect(await rowsOf('SELECT has_pending, idle_since FROM targets WHERE id = ANY($1)', [[a, b]])).toEqual([
      { has_pending: false, idle_since: idleAt },
      { has_pending: false, idle_since: idleAt },
    ]);
    // Nothing changed since: nothing to report.
    expect(await refreshPending(sqlDb.db, [a!, b!], new Date())).toEqual({ idleTargets: [], idleCampaigns: [] });
  });

  it('gives back only rows still waiting under the promotion whose job was lost', async () => {
    const campaignId = await sqlDb.campaign(organizationId);
    const targets = await sqlDb.targets(campaignId, 3, { from: 30_000 });
    await writeOpenings(
      sqlDb.db,
      targets.map((targetId) => ({ targetId, callDue: new Date(), message: null })),
      new Date(),
    );
    const calls = await rowsOf<{ id: string }>('SELECT id FROM calls WHERE campaign_id = $1 ORDER BY id', [campaignId]);
    await markPromoted(
      sqlDb.db,
      calls.map((call) => ({ channel: 'call', id: call.id, dueAt: new Date() })),
      new Date(),
    );
    // One was promoted again meanwhile (its promotion moved on), one is being dialed.
    await sqlDb.pool.query(`UPDATE calls SET promotion = 2 WHERE id = $1`, [calls[1]!.id]);
    await sqlDb.pool.query(`UPDATE calls SET status = 'dialing' WHERE id = $1`, [calls[2]!.id]);
    const given = await unpromoteLost(
      sqlDb.db,
      channelNamed('call'),
      calls.map((call) => ({ id: call.id, promotion: 1 })),
      new Date(),
    );
    expect(given).toBe(1);
    expect(await rowsOf('SELECT promoted_at IS NULL AS unpromoted FROM calls WHERE campaign_id = $1 ORDER BY id', [campaignId])).toEqual([
      { unpromoted: true },
      { unpromoted: false },
      { unpromoted: false },
    ]);
  });
});

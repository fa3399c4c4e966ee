import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../../src/channels.js';
import {
  lockDueWork,
  markPromoted,
  promotedCounts,
  wokenCampaigns,
  campaignsWithQueuedWork,
  nextDueTimes,
  overdueClaims,
} from '../../src/db/repositories/hopper.js';
import { nextRolloutTargets, nextStartTargets, segmentFacts, writeOpenings } from '../../src/db/repositories/rollout-targets.js';
import { saveOutcomes } from '../../src/db/repositories/calls.js';
import { activeCalls, cancelWork, holdWork, markClaimed, organizationActiveCalls } from '../../src/db/repositories/dispatch.js';
import { markListed } from '../../src/db/repositories/rollout-targets.js';
import { promotedWaiting, unpromoteLost } from '../../src/db/repositories/reconcile.js';
import { workflessCampaignsChanged } from '../../src/db/repositories/settle.js';
import { emptyRolloutCounts, recordRolloutBatches, type Rollout } from '../../src/db/repositories/rollouts.js';
import { campaignCounts } from '../../src/db/repositories/stats.js';
import { loadEarlierOutcomes, loadHistories } from '../../src/db/repositories/target-progress.js';
import { listedTargetsMatching, targetsCampaigns } from '../../src/db/repositories/target-lookups.js';
import { pendingTargetsOf, recordOptOuts } from '../../src/db/repositories/opt-outs.js';
import { campaignsWithPending, cancelWaiting, refreshCampaignPending, refreshPending, unpromoteCampaign, workOwners } from '../../src/db/repositories/work.js';
import { lockCalls, lockTargets, lockWork } from '../../src/db/locks.js';
import type { Db } from '../../src/db/sql.js';
import { explainingDb, planNodes, rolloutFixture, startSqlDatabase, type PlanNode } from '../support/sql-database.js';

// A query plan must not decide whether a campaign starts: PostgreSQL here has
// autovacuum off, so freshly written tables have no statistics and the planner guesses. Every
// statement whose cost grows with a campaign is planned here on tables that were never analyzed,
// and must read its rows through an index (no sequential scan of targets, calls or messages), and
// where it asks for an order in a walk (rollout batches, promotion), get it from the index (no sort).

const TARGETS = 20_000;
const BIG_TABLES = new Set(['targets', 'calls', 'whatsapp_messages', 'hopper_wakeups']);

let sqlDb: Awaited<ReturnType<typeof startSqlDatabase>>;
let organizationId: string;
let campaignId: string;
let targetIds: string[];
/** The first column of every index of the big tables. */
let leadingColumns: Map<string, string>;

beforeAll(async () => {
  sqlDb = await startSqlDatabase();
  organizationId = await sqlDb.organization();
  campaignId = await sqlDb.campaign(organizationId, { whatsappChannelId: '6c3a1c0e-2f7b-4c55-9a51-0d0f6c1b2a33' });
  targetIds = await sqlDb.targets(campaignId, TARGETS, { whatsapp: true });
  // Rounds for half the targets, written as the hopper writes them: the tables have real size.
  const openings = targetIds.slice(0, TARGETS / 2).map((targetId) => ({ targetId, callDue: new Date(), message: { endsRound: false, due: new Date() } }));
  await writeOpenings(sqlDb.db, openings, new Date());
  // Some of them promoted, as the hopper leaves them within a campaign's Redis budget: the
  // promoted rows' indexes have real size too.
  const { rows: waiting } = await sqlDb.pool.query<{ channel: 'call' | 'whatsapp'; id: string }>(
    `(SELECT 'call' AS channel, id FROM calls WHERE campaign_id = $1 AND status = 'scheduled' ORDER BY id LIMIT 2000)
     UNION ALL (SELECT 'whatsapp', id FROM whatsapp_messages WHERE campaign_id = $1 AND status = 'queued' ORDER BY id LIMIT 2000)`,
    [campaignId],
  );
  await markPromoted(
    sqlDb.db,
    waiting.map((row) => ({ ...row, dueAt: new Date() })),
    new Date(),
  );
  // Earlier attempts of every target: the calls table outgrows what a sequential scan could
  // read more cheaply than a batch's index probes, as it does in any real campaign.
  await sqlDb.pool.query(
    `INSERT INTO calls (id, campaign_id, target_id, round, attempt, round_attempt, status, scheduled_for, ended_at, updated_at)
     SELECT uuid_generate_v7(), $1, t.id, 0, -a, a, 'no_answer', now(), now(), now() FROM targets t, generate_series(1, 5) a WHERE t.campaign_id = $1`,
    [campaignId],
  );
  await sqlDb.pool.query(`INSERT INTO do_not_contact (id, organization_id, kind, value) VALUES (uuid_generate_v7(), $1, 'phone', '+15550000001')`, [
    organizationId,
  ]);
  const { rows: indexes } = await sqlDb.pool.query<{ index: string; leading: string }>(
    `SELECT i.indexrelid::regclass::text AS index, a.attname AS leading
     FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
     WHERE i.indrelid::regclass::text = ANY($1::text[])`,
    [[...BIG_TABLES]],
  );
  leadingColumns = new Map(indexes.map((row) => [row.index, row.leading]));
  const { rows } = await sqlDb.pool.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stats WHERE tablename IN ('targets', 'calls')`);
  // The premise: nothing has statistics (autovacuum off, or too soon for it).
  expect(Number(rows[0]!.n)).toBe(0);
}, 120_000);
afterAll(() => sqlDb?.close());

const rollout = (overrides: Partial<Rollout>): Rollout => rolloutFixture(campaignId, { cursor: targetIds[100]!, ...overrides });

async function plansOf(run: (db: Db) => Promise<unknown>) {
  const { db, plans } = explainingDb(sqlDb.pool);
  await run(db);
  expect(plans.length).toBeGreaterThan(0);
  return plans;
}

function scansOfBigTables(plan: PlanNode) {
  return planNodes(plan).filter((node) => node['Node Type'] === 'Seq Scan' && BIG_TABLES.has(node['Relation Name'] ?? ''));
}

/**
 * Index scans not entered by the index's leading column: PostgreSQL then reads the whole index
 * (a status condition on an index led by campaign_id reads every call's entry), a sequential
 * scan in all but name. An index walked from its start under a LIMIT reads only what it returns.
 */
function wholeIndexScans(plan: PlanNode, limited = false): PlanNode[] {
  const leading = leadingColumns.get(plan['Index Name'] ?? '');
  const cond = plan['Index Cond'];
  const whole = leading !== undefined && (cond === undefined ? !limited : !new RegExp(`(^|\\()${leading} `).test(cond));
  const below = (plan.Plans ?? []).flatMap((child) => wholeIndexScans(child, limited || plan['Node Type'] === 'Limit'));
  return whole ? [plan, ...below] : below;
}

const scope = (listEmpty: boolean) => ({ organizationId, campaignTimezone: 'UTC', listEmpty });
const now = () => new Date();
// A batch as the outcome recorder forms them under load (it rarely holds more than a few dozen targets).
const somePending = () => targetIds.slice(0, 50);

const giveBack = (db: Db) =>
  unpromoteLost(
    db,
    channels[0]!,
    somePending().map((id) => ({ id, promotion: 1 })),
    now(),
  );

const statements: Array<[string, (db: Db) => Promise<unknown>, { ordered?: boolean }]> = [
  ['next targets of a start rollout', (db) => nextRolloutTargets(db, rollout({}), scope(true), 5_000), { ordered: true }],
  [
    'next targets of several start rollouts, the list checked',
    (db) =>
      nextStartTargets(
        db,
        [
          { rollout: rollout({}), scope: scope(false) },
          { rollout: rollout({}), scope: scope(true) },
        ],
        5_000,
        5_000,
      ),
    { ordered: true },
  ],
  [
    'next targets of a resume rollout, the list checked',
    (db) => nextRolloutTargets(db, rollout({ kind: 'resume', segment: 'not_answered' }), scope(false), 5_000),
    { ordered: true },
  ],
  [
    'record batches of rollouts',
    (db) => recordRolloutBatches(db, [{ id: rollout({}).id, cursor: targetIds[0]!, counts: emptyRolloutCounts(), finishedAt: null }]),
    {},
  ],
  ['count a segment by opening facts', (db) => segmentFacts(db, campaignId, 'not_contacted', [rollout({})], scope(false)), {}],
  ['open rounds', (db) => writeOpenings(db, [{ targetId: targetIds[0]!, callDue: now(), message: null }], now()), {}],
  ['lock due work of campaigns', (db) => lockDueWork(db, [{ campaignId, budget: 1_000 }], now(), 1_000), { ordered: true }],
  ['count promoted work', (db) => promotedCounts(db, [campaignId]), {}],
  ['when is work due next', (db) => nextDueTimes(db, [campaignId]), {}],
  ["cancel a target's waiting work", (db) => cancelWaiting(db, { targets: somePending() }, 'goal_met', now()), {}],
  ["cancel a campaign's waiting work", (db) => cancelWaiting(db, { campaign: campaignId }, 'campaign_completed', now()), {}],
  ["withdraw a paused campaign's jobs", (db) => unpromoteCampaign(db, campaignId, now()), {}],
  ['refresh pending flags of targets', (db) => refreshPending(db, somePending(), now()), {}],
  ['refresh pending flags of a campaign', (db) => refreshCampaignPending(db, campaignId, now()), {}],
  ['do the campaigns hold work', (db) => campaignsWithPending(db, [campaignId]), {}],
  ['campaigns changed lately, left without work', (db) => workflessCampaignsChanged(db, new Date(Date.now() - 60_000), now()), {}],
  ['campaigns changed ever, left without work', (db) => workflessCampaignsChanged(db, null, now()), {}],
  ['campaigns woken', (db) => wokenCampaigns(db, now()), {}],
  ['campaigns with queued jobs', (db) => campaignsWithQueuedWork(db), {}],
  ...channels.map(
    (channel) =>
      [`claims past the timeout (${channel.name})`, (db: Db) => overdueClaims(db, channel, now(), 500), {}] as [string, (db: Db) => Promise<unknown>, object],
  ),
  ...channels.map(
    (channel) =>
      [`promoted rows to reconcile (${channel.name})`, (db: Db) => promotedWaiting(db, channel, now(), null, 1_000), { ordered: true }] as [
        string,
        (db: Db) => Promise<unknown>,
        object,
      ],
  ),
  ...channels.map(
    (channel) =>
      [
        `promoted rows to reconcile, the next batch (${channel.name})`,
        (db: Db) => promotedWaiting(db, channel, now(), { promotedAt: new Date(Date.now() - 60_000), id: targetIds[0]! }, 1_000),
        { ordered: true },
      ] as [string, (db: Db) => Promise<unknown>, object],
  ),
  ['lock work at dispatch', (db) => lockWork(db, 'call', somePending()), {}],
  ['owners of claimed work', (db) => workOwners(db, 'call', somePending()), {}],
  ['mark work claimed', (db) => markClaimed(db, 'call', somePending(), now()), {}],
  [
    'hold work',
    (db) =>
      holdWork(
        db,
        'call',
        somePending().map((id) => ({ id, until: now(), reason: 'contact_cap' })),
        now(),
      ),
    {},
  ],
  ['cancel listed work', (db) => cancelWork(db, 'whatsapp', somePending(), 'do_not_contact', now()), {}],
  ['calls dialing for a campaign', (db) => activeCalls(db, campaignId), {}],
  ['calls dialing for an organization', (db) => organizationActiveCalls(db, organizationId), {}],
  ['mark targets listed', (db) => markListed(db, somePending(), now()), {}],
  ['lock targets for outcomes', (db) => lockTargets(db, somePending()), {}],
  ['lock calls for outcomes', (db) => lockCalls(db, somePending()), {}],
  [
    'record outcomes',
    (db) =>
      saveOutcomes(
        db,
        somePending().map((id) => ({ id, status: 'no_answer', durationS: null, aiLabel: null, aiScore: null, summary: null, optOut: false })),
        now(),
      ),
    {},
  ],
  [
    'record promotions',
    (db) =>
      markPromoted(
        db,
        somePending().map((id) => ({ channel: 'call', id, dueAt: now() })),
        now(),
      ),
    {},
  ],
  ['give lost work back', giveBack, {}],
  ['campaigns of targets', (db) => targetsCampaigns(db, somePending()), {}],
  ['load target histories', (db) => loadHistories(db, somePending()), {}],
  [
    "outcomes of a round's earlier calls",
    (db) =>
      loadEarlierOutcomes(
        db,
        somePending().map((targetId) => ({ targetId, round: 1, roundAttempt: 3 })),
      ),
    {},
  ],
  ['campaign stats', (db) => campaignCounts(db, campaignId, [rollout({})]), {}],
  ['targets a removed list entry kept', (db) => listedTargetsMatching(db, organizationId, '+15550000001', null, 500), {}],
  // An opt-out cancels the person's pending work elsewhere: a probe of each campaign's dedupe keys.
  [
    'pending targets of an opted-out person',
    (db) => pendingTargetsOf(db, [{ organizationId, dedupeKeys: ['phone:+15550000001', 'customer:7a0d4d8e-3b1c-4f4e-8a39-5b0e8c7f1a01'] }]),
    {},
  ],
  [
    'an opt-out recorded',
    (db) =>
      db.transaction(async (tx) => {
        await lockTargets(tx, somePending().slice(0, 2));
        return recordOptOuts(tx, [{ targetId: somePending()[0]!, callId: null }], now());
      }),
    {},
  ],
];

describe('plans on tables without statistics', () => {
  it.each(statements)('%s: reads big tables through indexes only', async (_name, run, { ordered }) => {
    for (const { text, plan } of await plansOf(run)) {
      expect(scansOfBigTables(plan), `sequential scan in: ${text}`).toEqual([]);
      expect(wholeIndexScans(plan), `whole index read in: ${text}`).toEqual([]);
      // A walk in index order: no sort of everything it could read.
      if (ordered)
        expect(
          planNodes(plan).filter((node) => node['Node Type'] === 'Sort'),
          `sort in: ${text}`,
        ).toEqual([]);
    }
  });
});

describe('giving lost work back', () => {
  it('finds its rows by key, never by walking the promoted rows once per row', async () => {
    for (const { text, plan } of await plansOf(giveBack)) {
      const reads = planNodes(plan).filter((node) => node['Relation Name'] === 'calls' && node['Node Type'] !== 'ModifyTable');
      expect(
        reads.map((node) => node['Index Name']),
        text,
      ).toEqual(['calls_pkey', 'calls_pkey']);
    }
  });
});

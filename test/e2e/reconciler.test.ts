import { afterEach, describe, expect, it } from 'vitest';
import { sql, type Db, type Sql } from '../../src/db/sql.js';
import { QueueName } from '../../src/queues/names.js';
import type { Queues } from '../../src/queues/queues.js';
import { reconcile } from '../../src/services/reconciler.js';
import { AGENT_ID } from '../support/sql-database.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';

/**
 * The reconciler among many running campaigns, most of them idle (work due tomorrow, or calls
 * being dialed): a pass gives back the one lost job and completes the one campaign left without
 * work, and what it reads does not depend on how many idle campaigns there are. The pass runs
 * against a `Db` that plans each statement with EXPLAIN ANALYZE (in a savepoint it rolls back)
 * before running it, and counts the rows its scans read: rows, not time.
 */

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

const SCANS = new Set(['Seq Scan', 'Index Scan', 'Index Only Scan', 'Bitmap Heap Scan']);

/** Rows the statement's scans read, by table: those they returned and those their filters dropped. */
function rowsRead(node: PlanNode, into: Map<string, number>): void {
  if (SCANS.has(node['Node Type'])) {
    const perLoop = (node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0);
    const table = node['Relation Name']!;
    into.set(table, (into.get(table) ?? 0) + perLoop * (node['Actual Loops'] ?? 1));
  }
  for (const child of node.Plans ?? []) rowsRead(child, into);
}

interface Reads {
  statements: number;
  rows: Map<string, number>;
}

class Rollback extends Error {}

/** `inner`, with every statement first executed under EXPLAIN ANALYZE and rolled back, its reads counted. */
function measured(inner: Db, reads: Reads): Db {
  const explain = (statement: Sql) => sql`EXPLAIN (ANALYZE, FORMAT JSON) ${statement}`;
  const record = (rows: Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>) => {
    reads.statements += 1;
    rowsRead(rows[0]!['QUERY PLAN'][0]!.Plan, reads.rows);
  };
  return {
    transactionKey: inner.transactionKey,
    query: async <Row>(statement: Sql) => {
      if (inner.transactionKey === null) {
        await inner
          .transaction(async (tx) => {
            record(await tx.query(explain(statement)));
            throw new Rollback();
          })
          .catch((error: unknown) => {
            if (!(error instanceof Rollback)) throw error;
          });
      } else {
        await inner.query(sql`SAVEPOINT measure`);
        record(await inner.query(explain(statement)));
        await inner.query(sql`ROLLBACK TO SAVEPOINT measure`);
      }
      return inner.query<Row>(statement);
    },
    transaction: (work) => inner.transaction((tx) => work(measured(tx, reads))),
  };
}

let t: TestSystem | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/**
 * `idle` running campaigns, inserted with SQL as the system leaves them: a finished rollout, a
 * target that went idle days ago, and a target holding a call due tomorrow (every other
 * campaign) or being dialed.
 */
async function insertIdleCampaigns(system: TestSystem, idle: number): Promise<void> {
  await system.system.db.pool.query(
    `WITH k AS (
       INSERT INTO campaigns (id, organization_id, name, agent_id, status, updated_at)
       SELECT uuid_generate_v7(), $1, 'idle ' || g, $2, 'running', now() FROM generate_series(1, $3::int) g
       RETURNING id, split_part(name, ' ', 2)::int % 2 = 0 AS dialing
     ), rollout AS (
       INSERT INTO rollouts (id, campaign_id, kind, created_at, cursor, finished_at)
       SELECT uuid_generate_v7(), k.id, 'start', now() - interval '3 days', '00000000-0000-0000-0000-000000000000', now() - interval '3 days' FROM k
     ), done_with AS (
       INSERT INTO targets (id, campaign_id, phone, round, last_attempt, has_pending, idle_since, updated_at)
       SELECT uuid_generate_v7(), k.id, '+15550000001', 1, 1, false, now() - interval '2 days', now() FROM k
     ), busy AS (
       INSERT INTO targets (id, campaign_id, phone, round, last_attempt, has_pending, updated_at)
       SELECT uuid_generate_v7(), k.id, '+15550000002', 1, 1, true, now() FROM k
       RETURNING id, campaign_id
     )
     INSERT INTO calls (id, campaign_id, target_id, round, attempt, round_attempt, status, scheduled_for, promoted_at, promotion, dialing_at, updated_at)
     SELECT uuid_generate_v7(), b.campaign_id, b.id, 1, 1, 1,
            CASE WHEN k.dialing THEN 'dialing' ELSE 'scheduled' END::call_status,
            CASE WHEN k.dialing THEN now() - interval '1 minute' ELSE now() + interval '1 day' END,
            CASE WHEN k.dialing THEN now() - interval '1 minute' END, CASE WHEN k.dialing THEN 1 ELSE 0 END,
            CASE WHEN k.dialing THEN now() - interval '1 minute' END, now()
     FROM busy b JOIN k ON k.id = b.campaign_id`,
    [system.org.id, AGENT_ID, idle],
  );
}

/** One campaign with one target and, unless `call` is null, one promoted call; returns their ids. */
async function campaignWith(system: TestSystem, status: 'running' | 'paused', call: 'promoted' | null) {
  const one = async <T>(text: string, values: unknown[]) => (await system.system.db.pool.query(text, values)).rows[0] as T;
  const { id: campaignId } = await one<{ id: string }>(
    `INSERT INTO campaigns (id, organization_id, name, agent_id, status, updated_at) VALUES (uuid_generate_v7(), $1, 'c', $2, $3::campaign_status, now()) RETURNING id`,
    [system.org.id, AGENT_ID, status],
  );
  // Its rollout finished, and its target went idle (no call) or holds the call, five minutes ago.
  await system.system.db.pool.query(
    `INSERT INTO rollouts (id, campaign_id, kind, created_at, cursor, finished_at)
     VALUES (uuid_generate_v7(), $1, 'start', now() - interval '1 hour', '00000000-0000-0000-0000-000000000000', now() - interval '5 minutes')`,
    [campaignId],
  );
  const { id: targetId } = await one<{ id: string }>(
    `INSERT INTO targets (id, campaign_id, phone, round, last_attempt, has_pending, idle_since, updated_at)
     VALUES (uuid_generate_v7(), $1, '+15550000003', 1, 1, $2, CASE WHEN $2 THEN NULL ELSE now() - interval '5 minutes' END, now()) RETURNING id`,
    [campaignId, call !== null],
  );
  if (call === null) return { campaignId, callId: null };
  const { id: callId } = await one<{ id: string }>(
    `INSERT INTO calls (id, campaign_id, target_id, round, attempt, round_attempt, status, scheduled_for, promoted_at, promotion, updated_at)
     VALUES (uuid_generate_v7(), $1, $2, 1, 1, 1, 'scheduled', now() - interval '4 minutes', now() - interval '5 minutes', 1, now()) RETURNING id`,
    [campaignId, targetId],
  );
  return { campaignId, callId };
}

/**
 * A system with `idle` idle running campaigns and the same few that need the reconciler: a
 * promoted call whose job Redis lost, one whose job is delayed in Redis, one of a paused
 * campaign (left alone), and a campaign whose last target went idle without its completion
 * check. Runs one reconciler pass, measured.
 */
async function passAmong(idle: number) {
  t = await startTestSystem({}, 'api');
  const system = t;
  await insertIdleCampaigns(system, idle);
  const lost = await campaignWith(system, 'running', 'promoted');
  const live = await campaignWith(system, 'running', 'promoted');
  const paused = await campaignWith(system, 'paused', 'promoted');
  const workless = await campaignWith(system, 'running', null);
  await system.system.queues.get(QueueName.Calls).add('call', {}, { jobId: `call-${live.callId}-1`, delay: 600_000 });
  // The sweep last looked an hour ago: the idle campaigns changed before, the four after.
  await system.system.db.pool.query(`UPDATE sweep_marks SET swept_until = now() - interval '1 hour' WHERE name = 'settle'`);

  const reads: Reads = { statements: 0, rows: new Map() };
  let jobsChecked = 0;
  const queues: Queues = {
    ...system.system.queues,
    liveJobs: (queue, ids) => {
      jobsChecked += ids.length;
      return system.system.queues.liveJobs(queue, ids);
    },
  };
  const deps = system.system.deps;
  const result = await reconcile({ ...deps, queues, db: { ...deps.db, sql: measured(deps.db.sql, reads) } });

  const promoted = async (callId: string | null) => (await system.prisma.call.findUniqueOrThrow({ where: { id: callId! } })).promotedAt !== null;
  const statusOf = async (campaignId: string) => (await system.prisma.campaign.findUniqueOrThrow({ where: { id: campaignId } })).status;
  return {
    result,
    reads,
    rowsRead: [...reads.rows.values()].reduce((sum, n) => sum + n, 0),
    jobsChecked,
    lostPromoted: await promoted(lost.callId),
    livePromoted: await promoted(live.callId),
    pausedPromoted: await promoted(paused.callId),
    worklessStatus: await statusOf(workless.campaignId),
    running: await system.prisma.campaign.count({ where: { status: 'running' } }),
  };
}

describe('a reconciler pass among many running campaigns', () => {
  it('gives back the lost job and completes the campaign without work, reading the same rows for 10 or 2,000 idle campaigns', async () => {
    const few = await passAmong(10);
    await t!.close();
    t = undefined;
    const many = await passAmong(2_000);

    for (const pass of [few, many]) {
      expect(pass.result).toEqual({ unpromotedWork: 1, requeuedCommands: 0, settledCampaigns: 1, requeuedDeliveries: 0 });
      expect(pass).toMatchObject({ lostPromoted: false, livePromoted: true, pausedPromoted: true, worklessStatus: 'done' });
    }
    // The idle ones still run, untouched (and so do the lost and the live ones).
    expect([few.running, many.running]).toEqual([12, 2_002]);

    // Redis is asked about the two promoted calls of running campaigns, whatever runs besides.
    expect([few.jobsChecked, many.jobsChecked]).toEqual([2, 2]);
    expect(many.reads.statements).toBe(few.reads.statements);
    // Rows read: the promoted calls, the changed campaigns and their probes; the idle
    // campaigns' rows are never read (on tables this small the planner may still scan a few
    // rows more with fewer campaigns, never more with more).
    expect(many.rowsRead).toBeLessThanOrEqual(few.rowsRead);
    expect(many.rowsRead).toBeLessThan(100);
  });
});

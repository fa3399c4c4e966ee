import pg from 'pg';
import { inject } from 'vitest';
import { emptyRolloutCounts, type Rollout } from '../../src/db/repositories/rollouts.js';
import { poolDb, type Db, type Sql } from '../../src/db/sql.js';
import { createTestDatabase } from './databases.js';

export const AGENT_ID = '0b6f0d3e-8a41-4d4e-9a0e-3f1f6f1c2a10';

/**
 * A migrated database of the test file's own, with the SQL repositories' `Db` over it and
 * a few seeding helpers: repository tests run against real PostgreSQL without booting the API.
 */
export async function startSqlDatabase() {
  const database = await createTestDatabase(inject('databaseServerUrl'), inject('templateDatabase'));
  const pool = new pg.Pool({ connectionString: database.url, max: 4 });
  // An idle connection the server ends (a restart, a terminated backend, too many clients on a
  // busy machine) is emitted on the pool, and an 'error' without a listener ends the test
  // process. Statements in flight still fail their test; the pool opens a new connection.
  pool.on('error', (error) => console.warn(`test database pool: an idle connection ended: ${error.message}`));
  const db = poolDb(pool);
  const one = async <T>(text: string, values: unknown[] = []) => (await pool.query(text, values)).rows[0] as T;

  return {
    db,
    pool,
    organization: async (name = `org-${Math.random().toString(36).slice(2)}`) =>
      (await one<{ id: string }>(`INSERT INTO organizations (id, name) VALUES (uuid_generate_v7(), $1) RETURNING id`, [name])).id,
    campaign: async (organizationId: string, settings: { status?: string; whatsappChannelId?: string } = {}) =>
      (
        await one<{ id: string }>(
          `INSERT INTO campaigns (id, organization_id, name, agent_id, status, whatsapp_channel_id, updated_at)
           VALUES (uuid_generate_v7(), $1, 'c', $2, $3::campaign_status, $4, now()) RETURNING id`,
          [organizationId, AGENT_ID, settings.status ?? 'running', settings.whatsappChannelId ?? null],
        )
      ).id,
    /** `count` targets with phones (and WhatsApp numbers when asked), in id order. */
    targets: async (campaignId: string, count: number, options: { whatsapp?: boolean; from?: number } = {}) => {
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO targets (id, campaign_id, phone, whatsapp, dedupe_key, updated_at)
         SELECT uuid_generate_v7(), $1, '+1555' || lpad(g::text, 7, '0'), CASE WHEN $3 THEN '+1666' || lpad(g::text, 7, '0') END,
                'phone:+1555' || lpad(g::text, 7, '0'), now()
         FROM generate_series($2::int, $2::int + $4::int - 1) g ORDER BY g RETURNING id`,
        [campaignId, options.from ?? 1, options.whatsapp ?? false, count],
      );
      return rows.map((row) => row.id).sort();
    },
    close: async () => {
      await pool.end();
      await database.drop();
    },
  };
}

/**
 * A `Db` that plans instead of running: every statement a repository sends is answered with
 * no rows, and its plan (EXPLAIN, never executed, nothing locked) is kept for the test to read.
 */
export function explainingDb(pool: pg.Pool) {
  const plans: Array<{ text: string; plan: PlanNode }> = [];
  const db: Db = {
    query: async <Row>(statement: Sql) => {
      const { rows } = await pool.query(`EXPLAIN (FORMAT JSON) ${statement.text}`, statement.values);
      plans.push({ text: statement.text, plan: (rows[0] as { 'QUERY PLAN': Array<{ Plan: PlanNode }> })['QUERY PLAN'][0]!.Plan });
      return [] as Row[];
    },
    transaction: (work) => work(db),
    // A transaction of its own, as far as the lock helpers can tell (src/db/locks.ts).
    transactionKey: {},
  };
  return { db, plans };
}

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

/** Every node of a plan, depth first. */
export function planNodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(planNodes)];
}

/** A rollout row as the repositories read it, before any batch: a start unless told otherwise. */
export function rolloutFixture(campaignId: string, overrides: Partial<Rollout> = {}): Rollout {
  return {
    id: '00000000-0000-0000-0000-000000000001',
    campaignId,
    commandId: null,
    kind: 'start',
    segment: null,
    createdAt: new Date(),
    cursor: '00000000-0000-0000-0000-000000000000',
    ...emptyRolloutCounts(),
    finishedAt: null,
    ...overrides,
  };
}

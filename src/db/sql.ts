import type pg from 'pg';
import { Prisma } from '../generated/prisma/client.js';

/**
 * Repositories build statements with Prisma's tagged template (nested fragments, `$n`
 * parameters; no ORM client) and run them on node-postgres directly: the hot paths (dispatch,
 * outcomes, the hopper) cost several times less Node CPU per statement than through the ORM,
 * and a transaction here is a plain BEGIN/COMMIT on one pooled connection.
 */
export const sql = Prisma.sql;
export const join = Prisma.join;
export const raw = Prisma.raw;
export const empty = Prisma.empty;
export type Sql = Prisma.Sql;

/** A place to run statements: the pool, or one connection inside a transaction. */
export interface Db {
  query<Row>(statement: Sql): Promise<Row[]>;
  /**
   * Runs `work` in a transaction and commits when it resolves. Called on a transaction it
   * joins it, so use cases compose: the outermost caller owns the commit.
   */
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T>;
  /**
   * The transaction this runs in: one object per transaction, the same for every `Db` that
   * reaches it (a wrapper, a joined transaction); null on the pool. What must last as long as
   * the transaction is kept against it: the locks it holds (src/db/locks.ts).
   */
  readonly transactionKey: object | null;
}

function connectionDb(client: pg.PoolClient): Db {
  const db: Db = {
    query: async <Row>(statement: Sql) => (await client.query(statement.text, statement.values)).rows as Row[],
    transaction: (work) => work(db),
    transactionKey: {},
  };
  return db;
}

export function poolDb(pool: pg.Pool): Db {
  return {
    query: async <Row>(statement: Sql) => (await pool.query(statement.text, statement.values)).rows as Row[],
    transactionKey: null,
    transaction: async (work) => {
      const client = await pool.connect();
      let broken: Error | undefined;
      // A connection cut while checked out emits 'error' on the client, and an error event
      // without a listener ends the process. The statement under way (or the next one) fails
      // too, so the error is only noted here: the client is not given back to the pool.
      const onError = (error: Error) => {
        broken = error;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await work(connectionDb(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          // A connection that cannot roll back is not given back to the pool.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw error;
      } finally {
        client.removeListener('error', onError);
        client.release(broken);
      }
    },
  };
}

/**
 * Whether a correlated sub-select finds a row, as a scalar sub-select run per outer row through
 * its index. PostgreSQL may turn a plain EXISTS into a hashed sub-plan or a semi-join that reads
 * the whole inner table when it has no statistics; a scalar sub-select with LIMIT 1 it cannot.
 */
export const exists = (select: Sql): Sql => sql`((${select} LIMIT 1) IS NOT NULL)`;

/** Uuid arrays and timestamp arrays as parameters: one statement for many rows (`unnest`). */
export const uuids = (ids: readonly string[]) => sql`${[...ids]}::uuid[]`;
export const timestamps = (dates: readonly Date[]) => sql`${dates.map((date) => date.toISOString())}::timestamptz[]`;

/**
 * Lets the transaction commit without waiting for its WAL to reach the disk (one flush, a few
 * milliseconds, per commit). Only for transactions whose loss in a PostgreSQL crash is the same
 * as a rollback the system already recovers from: a hopper batch (its jobs are re-added under
 * the same ids, src/services/hopper.ts) and a rollout batch (its targets are rolled out again).
 * Anything that acted on their rows afterwards (a claim, an outcome) commits synchronously, and
 * its flush makes every earlier commit durable with it.
 */
export async function commitWithoutWaitingForDisk(tx: Db): Promise<void> {
  if (tx.transactionKey === null) throw new Error('commitWithoutWaitingForDisk needs a transaction');
  await tx.query(sql`SET LOCAL synchronous_commit = off`);
}

import pg from 'pg';
import type { DependencyMonitor } from '../dependencies.js';
import { isConnectionFailure } from '../dependencies.js';
import { ServiceUnavailable } from '../domain/errors.js';
import { poolDb, type Db, type Sql } from './sql.js';

export type { Db };

export interface DatabaseSettings {
  url: string;
  poolSize: number;
  connectTimeoutMs: number;
}

/** One pool per process; the repositories reach it through `sql`, a `Db` (src/db/sql.ts). */
export interface Database {
  sql: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * A connection failure of a statement becomes `ServiceUnavailable` (retryable, 503 over HTTP)
 * and is reported once per outage; a success ends the outage. A transaction's own failures
 * (connect, BEGIN, COMMIT) are PostgreSQL's too; what its work throws is not translated again
 * (its statements are; a Redis call inside it fails as Redis's, not as a PostgreSQL outage).
 */
function monitored(db: Db, monitor: DependencyMonitor): Db {
  const translate = (error: unknown): never => {
    if (error instanceof ServiceUnavailable || !isConnectionFailure(error)) throw error;
    monitor.down('postgres', error);
    throw new ServiceUnavailable('postgres', undefined, { cause: error });
  };
  const wrap = (inner: Db): Db => ({
    transactionKey: inner.transactionKey,
    query: <Row>(statement: Sql) =>
      inner.query<Row>(statement).then((rows) => {
        if (monitor.isDown('postgres')) monitor.up('postgres');
        return rows;
      }, translate),
    transaction: async (work) => {
      let thrownByWork = false;
      return inner
        .transaction((tx) =>
          work(wrap(tx)).catch((error: unknown) => {
            thrownByWork = true;
            throw error;
          }),
        )
        .catch((error: unknown) => (thrownByWork ? Promise.reject(error) : translate(error)));
    },
  });
  return wrap(db);
}

export function createDatabase(settings: DatabaseSettings, monitor: DependencyMonitor): Database {
  const pool = new pg.Pool({
    connectionString: settings.url,
    max: settings.poolSize,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    // The working set lives in memory (or on SSD): an index probe costs little more than a
    // sequential page, so batch statements join through primary keys instead of hashing a scan
    // of a mid-sized table when it has no statistics yet. And no JIT: the statements are short,
    // but a batch's estimated cost on big tables crosses jit_above_cost, and compiling it then
    // costs more CPU than running it (measured: a fifth of all CPU with 10,000 campaigns).
    options: '-c random_page_cost=1.1 -c jit=off',
  });
  // Idle connections that break (server restart) emit here; the outage is logged by the monitor.
  pool.on('error', (error) => monitor.down('postgres', error));
  return {
    sql: monitored(poolDb(pool), monitor),
    pool,
    close: () => pool.end(),
  };
}

/** A `Db` over a short-lived pool of its own, for one-shot tools (the CLI): closed once `work` settles. */
export async function withStandaloneDb<T>(url: string, work: (db: Db) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    return await work(poolDb(pool));
  } finally {
    await pool.end();
  }
}

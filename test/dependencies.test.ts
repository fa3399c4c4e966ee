import { Writable } from 'node:stream';
import getPort from 'get-port';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Database } from '../src/db/client.js';
import { sql } from '../src/db/sql.js';
import { createDependencyMonitor, failedDependency, type DependencyMonitor } from '../src/dependencies.js';
import { ServiceUnavailable } from '../src/domain/errors.js';
import { createMetrics } from '../src/metrics.js';
import { adminQuery, createTestDatabase } from './support/databases.js';
import { metricValue } from './support/metrics.js';

/** The outage accounting: which dependency a failure is charged to, logged once, counted. */

const REDIS_OFFLINE = "Stream isn't writeable and enableOfflineQueue options is false";

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase(inject('databaseServerUrl'), inject('templateDatabase'));
});
afterAll(() => database?.drop());

function monitored(url: string) {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
  const metrics = createMetrics();
  const monitor: DependencyMonitor = createDependencyMonitor(logger, metrics, {});
  const db: Database = createDatabase({ url, poolSize: 2, connectTimeoutMs: 1_000 }, monitor);
  return {
    db,
    monitor,
    lines,
    outages: async (dependency: string) =>
      metricValue(await metrics.registry.getSingleMetricAsString('campaign_dependency_outages_total'), 'campaign_dependency_outages_total', { dependency }),
    close: async () => {
      monitor.close();
      await db.close();
    },
  };
}

describe('a transaction whose work fails on Redis', () => {
  it('rejects with the Redis error and does not count or log a PostgreSQL outage', async () => {
    const m = monitored(database.url);
    try {
      const failing = m.db.sql.transaction(async (tx) => {
        await tx.query(sql`SELECT 1`);
        throw new Error(REDIS_OFFLINE);
      });
      await expect(failing).rejects.toThrow(REDIS_OFFLINE);
      await expect(failing).rejects.not.toBeInstanceOf(ServiceUnavailable);
      expect(m.monitor.isDown('postgres')).toBe(false);
      expect(await m.outages('postgres')).toBe(0);
      expect(m.lines.filter((line) => line.level >= 50)).toEqual([]);
    } finally {
      await m.close();
    }
  });

  it('while PostgreSQL failing to connect is charged to PostgreSQL, once however often it fails', async () => {
    const m = monitored(`postgresql://postgres@127.0.0.1:${await getPort()}/nowhere`);
    try {
      for (let i = 0; i < 3; i++) {
        await expect(m.db.sql.transaction((tx) => tx.query(sql`SELECT 1`))).rejects.toBeInstanceOf(ServiceUnavailable);
        await expect(m.db.sql.query(sql`SELECT 1`)).rejects.toBeInstanceOf(ServiceUnavailable);
      }
      expect(m.monitor.isDown('postgres')).toBe(true);
      expect(await m.outages('postgres')).toBe(1);
      expect(m.lines.filter((line) => line.level >= 50).map((line) => line.msg)).toEqual(['postgres is unreachable; retrying until it answers']);
    } finally {
      await m.close();
    }
  });
});

describe('a transaction whose connection is cut', () => {
  it('fails as a PostgreSQL outage and leaves the process running (the checked-out client has an error listener)', async () => {
    const m = monitored(database.url);
    try {
      const cut = m.db.sql.transaction(async (tx) => {
        const [backend] = await tx.query<{ pid: number }>(sql`SELECT pg_backend_pid() AS pid`);
        await adminQuery(database.url, `SELECT pg_terminate_backend(${backend!.pid})`);
        await tx.query(sql`SELECT 1`);
      });
      await expect(cut).rejects.toBeInstanceOf(ServiceUnavailable);
      expect(await m.outages('postgres')).toBe(1);
      // The broken connection was not given back: the next transaction gets a working one.
      expect(await m.db.sql.transaction((tx) => tx.query<{ one: number }>(sql`SELECT 1 AS one`))).toEqual([{ one: 1 }]);
    } finally {
      await m.close();
    }
  });
});

describe('failedDependency', () => {
  it.each([
    [new Error(REDIS_OFFLINE), 'redis'],
    [new Error('Connection is closed.'), 'redis'],
    [new Error('Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.'), 'redis'],
    [new Error('outer', { cause: new Error(REDIS_OFFLINE) }), 'redis'],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'postgres'],
    [new Error('Connection terminated unexpectedly'), 'postgres'],
  ])('charges %s to %s', (error, dependency) => {
    expect(failedDependency(error)).toBe(dependency);
  });
});

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { ConfigError, loadConfig, loadDatabaseConfig } from '../src/config.js';
import { cliOutput } from './support/cli.js';
import { createTestDatabase } from './support/databases.js';

describe('loadConfig', () => {
  it('runs with no variable set, pointing at local PostgreSQL and Redis', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/campaigns',
      REDIS_URL: 'redis://127.0.0.1:6379',
      PORT: 3000,
      QUEUE_PREFIX: 'bull',
      LOG_LEVEL: 'info',
      JWT_MAX_AGE_SECONDS: 86_400,
    });
  });

  it('reads the maximum token age in seconds, from one minute to a year', () => {
    expect(loadConfig({ JWT_MAX_AGE_SECONDS: '60' }).JWT_MAX_AGE_SECONDS).toBe(60);
    expect(loadConfig({ JWT_MAX_AGE_SECONDS: '31536000' }).JWT_MAX_AGE_SECONDS).toBe(31_536_000);
  });

  it('accepts a queue prefix wrapped in braces (a Redis Cluster hash tag)', () => {
    expect(loadConfig({ QUEUE_PREFIX: '{campaigns}' }).QUEUE_PREFIX).toBe('{campaigns}');
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://localhost/x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ QUEUE_PREFIX: 'a:b' }, 'QUEUE_PREFIX'],
    [{ QUEUE_PREFIX: '{campaigns' }, 'QUEUE_PREFIX'],
    [{ QUEUE_PREFIX: 'a{b}' }, 'QUEUE_PREFIX'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ JWT_MAX_AGE_SECONDS: '0' }, 'JWT_MAX_AGE_SECONDS'],
    [{ JWT_MAX_AGE_SECONDS: '59' }, 'JWT_MAX_AGE_SECONDS'],
    [{ JWT_MAX_AGE_SECONDS: '1.5' }, 'JWT_MAX_AGE_SECONDS'],
    [{ JWT_MAX_AGE_SECONDS: '1d' }, 'JWT_MAX_AGE_SECONDS'],
    [{ JWT_MAX_AGE_SECONDS: '31536001' }, 'JWT_MAX_AGE_SECONDS'],
  ])('names the bad variable in %o', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });

  it('reads Redis Cluster seed nodes, and refuses a malformed list or a braced prefix beside them', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001' }).REDIS_CLUSTER_NODES).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
    ]);
    expect(loadConfig({}).REDIS_CLUSTER_NODES).toBeUndefined();
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1' })).toThrow(/REDIS_CLUSTER_NODES must list host:port nodes/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000', QUEUE_PREFIX: '{campaigns}' })).toThrow(/QUEUE_PREFIX must not be wrapped in braces/);
  });

  it('reads sentinels with the name of their primary, and refuses them without it or beside cluster nodes', () => {
    expect(loadConfig({ REDIS_SENTINELS: '10.0.0.1:26379,10.0.0.2:26379', REDIS_SENTINEL_NAME: 'primary' })).toMatchObject({
      REDIS_SENTINELS: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26379 },
      ],
      REDIS_SENTINEL_NAME: 'primary',
    });
    expect(() => loadConfig({ REDIS_SENTINELS: '10.0.0.1:26379' })).toThrow(/REDIS_SENTINEL_NAME is required with REDIS_SENTINELS/);
    expect(() => loadConfig({ REDIS_SENTINELS: '10.0.0.1:26379', REDIS_SENTINEL_NAME: 'primary', REDIS_CLUSTER_NODES: '10.0.0.1:7000' })).toThrow(
      /REDIS_SENTINELS cannot be set together with REDIS_CLUSTER_NODES/,
    );
  });

  it('refuses production without its secrets and admin credentials, naming each', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), ADMIN_USER: 'ops', ADMIN_PASSWORD: 'secret', WEBHOOK_SECRET_KEY: 'k'.repeat(32) };
    for (const name of ['JWT_SECRET', 'ADMIN_USER', 'ADMIN_PASSWORD', 'WEBHOOK_SECRET_KEY'] as const) {
      const { [name]: _missing, ...rest } = production;
      expect(() => loadConfig(rest)).toThrow(`${name} is required in production`);
    }
    expect(loadConfig(production).JWT_SECRET).toBe('x'.repeat(32));
  });

  it('refuses one admin credential without the other, and the old name of the outcome timeout', () => {
    expect(() => loadConfig({ ADMIN_USER: 'ops' })).toThrow('ADMIN_PASSWORD must be set together with ADMIN_USER');
    expect(() => loadConfig({ CALL_OUTCOME_TIMEOUT: '60' })).toThrow('CALL_OUTCOME_TIMEOUT was renamed CALL_OUTCOME_TIMEOUT_SECONDS');
  });
});

describe('loadDatabaseConfig', () => {
  it('reads a direct URL for migrations beside a pooled DATABASE_URL, and refuses one that is not PostgreSQL', () => {
    expect(loadDatabaseConfig({})).toEqual({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/campaigns' });
    expect(
      loadDatabaseConfig({ DATABASE_URL: 'postgresql://app@pgbouncer:6432/campaigns', DATABASE_DIRECT_URL: 'postgresql://app@db:5432/campaigns' }),
    ).toEqual({
      DATABASE_URL: 'postgresql://app@pgbouncer:6432/campaigns',
      DATABASE_DIRECT_URL: 'postgresql://app@db:5432/campaigns',
    });
    expect(() => loadDatabaseConfig({ DATABASE_DIRECT_URL: 'redis://db:5432' })).toThrow(/DATABASE_DIRECT_URL must be a postgresql:\/\/ URL/);
  });
});

describe('npm run cli -- api-key create', () => {
  it('creates the organization and prints the key alone on the last line', async () => {
    const database = await createTestDatabase(inject('databaseServerUrl'), inject('templateDatabase'));
    try {
      const run = () => cliOutput(['api-key', 'create', '--org', 'Acme'], { DATABASE_URL: database.url });
      const first = await run();
      const second = await run();
      expect(first.at(-1)).toMatch(/^cek_[A-Za-z0-9_-]{32}$/);
      expect(second.at(-1)).not.toBe(first.at(-1));
      expect(second[0]).toMatch(/^organization: Acme \([0-9a-f-]{36}\)$/);
      expect(second[0]).toBe(first[0]);
    } finally {
      await database.drop();
    }
  });

  it('explains its usage when --org is missing, on stderr with exit code 1', async () => {
    const failure = await promisify(execFile)('npx', ['tsx', 'src/cli.ts', 'api-key', 'create']).catch((error) => error);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain('--org is required');
  });
});

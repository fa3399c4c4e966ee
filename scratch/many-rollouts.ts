import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { runRollouts } from '../src/services/rollouts.js';
import { startSystem } from '../src/system.js';
import { deployMigrations } from '../src/db/migrations/deploy.js';

const N = Number(process.argv[2] ?? 1000);
const admin = new pg.Client({ connectionString: 'postgresql://postgres@127.0.0.1:5432/postgres' });
await admin.connect();
await admin.query('DROP DATABASE IF EXISTS scratch_many WITH (FORCE)');
await admin.query('CREATE DATABASE scratch_many');
await admin.end();
const url = 'postgresql://postgres@127.0.0.1:5432/scratch_many';
await deployMigrations(url);
const pool = new pg.Pool({ connectionString: url });
const { rows: [org] } = await pool.query(`INSERT INTO organizations (id, name) VALUES (uuid_generate_v7(), 'o') RETURNING id`);
await pool.query(`INSERT INTO campaigns (id, organization_id, name, agent_id, status, call_working_hours, created_at, updated_at)
  SELECT uuid_generate_v7(), $1, 'c' || g, '0b6f0d3e-8a41-4d4e-9a0e-3f1f6f1c2a10', 'running', '{"start":"00:00","end":"23:59:59","weekdays":[1,2,3,4,5,6,7]}', now(), now() FROM generate_series(1, $2::int) g`, [org.id, N]);
await pool.query(`INSERT INTO targets (id, campaign_id, phone, dedupe_key, state, round, last_attempt, updated_at)
  SELECT uuid_generate_v7(), k.id, '+1555' || lpad((row_number() over ())::text, 7, '0'), 'p' || g || k.id, 'not_contacted', 0, 0, now() FROM campaigns k, generate_series(1,10) g`);
await pool.query(`INSERT INTO rollouts (id, campaign_id, kind, created_at, cursor) SELECT uuid_generate_v7(), id, 'start', now(), '00000000-0000-0000-0000-000000000000' FROM campaigns`);
if (process.argv[3]) await pool.query(`ALTER DATABASE scratch_many SET log_min_duration_statement = ${process.argv[3]}`);
const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'bench-in-process-secret-of-32-characters', DATABASE_URL: url, REDIS_URL: 'redis://127.0.0.1:6379', QUEUE_PREFIX: 'scratch-many' });
const system = await startSystem(config, 'api', { logger: createLogger('warn') });
const t = performance.now();
let r; let passes = 0;
do { r = await runRollouts(system.deps); passes++; } while (r.opened > 0 && passes < 5);
console.log('rollouts', N, 'campaigns', r.opened, (performance.now() - t).toFixed(0), 'ms', passes, 'passes');
for (const q of system.queues.all()) await q.obliterate({ force: true });
await system.close();
await pool.end();

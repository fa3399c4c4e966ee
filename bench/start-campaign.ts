/**
 * Benchmark: starting a large campaign (set-based round opening) and the hopper's first pass,
 * with a small campaign's command timed while the large start runs.
 *
 *   npm run bench                      # 100,000 targets
 *   BENCH_TARGETS=1000000 npm run bench
 *
 * Uses its own database (campaigns_bench, recreated) and BullMQ prefix on the local services.
 */
import { loadConfig } from '../src/config.js';
import { adminQuery, withDatabase } from '../test/support/databases.js';
import { deployMigrations } from '../src/db/migrations/deploy.js';
import { createApiKey, findOrCreateOrganization } from '../src/db/repositories/organizations.js';
import { createLogger } from '../src/logger.js';
import { startSystem } from '../src/system.js';

const TARGETS = Number(process.env.BENCH_TARGETS ?? 100_000);
const SERVER = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'campaigns_bench';
const ZONES = ['Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'Asia/Kolkata', 'America/Los_Angeles'];

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(2);
const mib = () => (process.memoryUsage().rss / 1024 / 1024).toFixed(0);

async function main() {
  await adminQuery(SERVER, `DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  const url = withDatabase(SERVER, DATABASE);
  await deployMigrations(url);
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: url,
    QUEUE_PREFIX: `bench${Date.now()}`,
    COMMAND_WAIT_MS: '60000',
    HOPPER_INTERVAL_MS: '3600000',
  });
  const system = await startSystem(config, 'all', { logger: createLogger('warn') });
  const app = system.app!;
  const org = await findOrCreateOrganization(system.db, 'bench');
  const { key } = await createApiKey(system.db, org.id);
  const call = (method: 'GET' | 'POST', path: string, payload?: object) =>
    app.inject({ method, url: path, headers: { 'x-api-key': key }, ...(payload ? { payload } : {}) });
  const campaign = async (name: string) =>
    (await call('POST', '/campaigns', { name, agent_id: '0b6f0d3e-8a41-4d4e-9a0e-3f1f6f1c2a10', call_working_hours: { start: '00:00', end: '23:59:59', weekdays: [1, 2, 3, 4, 5, 6, 7] } })).json().id as string;

  const big = await campaign('big');
  let t0 = performance.now();
  await system.db.$executeRawUnsafe(
    `INSERT INTO targets (id, campaign_id, phone, dedupe_key, timezone, updated_at)
     SELECT uuid_generate_v7(), $1::uuid, '+1555' || lpad(g::text, 7, '0'), 'phone:+1555' || lpad(g::text, 7, '0'),
            (ARRAY['${ZONES.join("','")}'])[1 + g % ${ZONES.length}], now()
     FROM generate_series(1, ${TARGETS}) g`,
    big,
  );
  console.log(`targets inserted: ${TARGETS} in ${seconds(t0)} s`);

  const small = await campaign('small');
  await call('POST', `/campaigns/${small}/targets`, [{ phone: '+14155550100' }]);

  t0 = performance.now();
  const bigStart = call('POST', `/campaigns/${big}/start`);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const t1 = performance.now();
  const smallStart = await call('POST', `/campaigns/${small}/start`);
  console.log(`other campaign's start while the big one runs: HTTP ${smallStart.statusCode} in ${seconds(t1)} s`);
  let started = await bigStart;
  while (started.statusCode === 202) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const command = await call('GET', `/commands/${started.json().command_id}`);
    if (command.json().result) started = { ...command, statusCode: command.json().result.status_code } as typeof started;
  }
  console.log(`big campaign start: HTTP ${started.statusCode} in ${seconds(t0)} s (rss ${mib()} MiB)`);
  const calls = await system.db.call.count({ where: { campaignId: big } });
  console.log(`calls written: ${calls} (${(calls / Number(seconds(t0))).toFixed(0)}/s)`);

  t0 = performance.now();
  const { promoteDueWork } = await import('../src/services/hopper.js');
  const promoted = await promoteDueWork({
    db: system.db,
    queues: system.queues,
    clock: () => new Date(),
    logger: system.logger,
    hopper: { horizonSeconds: config.SCHEDULE_HORIZON_SECONDS, batchSize: config.HOPPER_BATCH_SIZE, maxPromotedPerCampaign: config.HOPPER_MAX_PROMOTED_PER_CAMPAIGN },
  });
  console.log(`hopper pass: ${promoted.calls} calls promoted in ${seconds(t0)} s (Redis bounded by HOPPER_MAX_PROMOTED_PER_CAMPAIGN=${config.HOPPER_MAX_PROMOTED_PER_CAMPAIGN})`);

  if (!process.env.BENCH_KEEP) await call('POST', `/campaigns/${big}/complete`);
  await system.close();
  if (!process.env.BENCH_KEEP) await adminQuery(SERVER, `DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

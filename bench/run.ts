/**
 * `npm run bench [-- --quick] [--only=start,dispatch] [--size=100000] [--profile]`: measures the cases of
 * bench/README.md against the local PostgreSQL and Redis (a database and BullMQ prefixes of its own),
 * prints a Markdown table and writes bench/results/latest.json.
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { dispatchCase } from './cases/dispatch.js';
import { fairnessCase } from './cases/fairness.js';
import { importCase } from './cases/import.js';
import { latencyCase } from './cases/latency.js';
import { manyCampaignsCase } from './cases/many-campaigns.js';
import { memoryCase } from './cases/memory.js';
import { promotionCase } from './cases/promotion.js';
import { resumeCase } from './cases/resume.js';
import { scaleOutCase } from './cases/scale-out.js';
import { startCase } from './cases/start.js';
import { startsCase } from './cases/starts.js';
import { createContext, type RunContext } from './lib/context.js';
import { machineFacts, markdownTable, writeResults, type Result } from './lib/report.js';
import { databaseUrl, dropDatabases, prepareTemplate, REDIS_URL, RESULTS_DIR } from './lib/system.js';

const CASES: Record<string, (ctx: RunContext) => Promise<Result[]>> = {
  import: importCase,
  start: startCase,
  starts: startsCase,
  resume: resumeCase,
  promotion: promotionCase,
  dispatch: dispatchCase,
  latency: latencyCase,
  memory: memoryCase,
  fairness: fairnessCase,
  many: manyCampaignsCase,
  scale: scaleOutCase,
};

async function main() {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, size: { type: 'string' }, profile: { type: 'boolean', default: false } },
  });
  const size = values.size === undefined ? undefined : Number(values.size);
  if (size !== undefined && !(Number.isInteger(size) && size > 0)) throw new Error(`--size must be a positive integer, got ${values.size}`);
  const only = values.only?.split(',') ?? Object.keys(CASES);
  const unknown = only.filter((name) => !(name in CASES));
  if (unknown.length > 0) throw new Error(`unknown case ${unknown.join(', ')}: choose among ${Object.keys(CASES).join(', ')}`);
  const ctx = createContext({ quick: values.quick, profile: values.profile, size });

  const pool = new pg.Pool({ connectionString: databaseUrl('postgres'), max: 1 });
  const redis = new Redis(REDIS_URL);
  const machine = await machineFacts(pool, redis);
  await pool.end();
  redis.disconnect();

  const started = performance.now();
  await prepareTemplate();
  const results: Result[] = [];
  const failed: string[] = [];
  try {
    for (const name of only) {
      ctx.log(`case ${name}`);
      try {
        results.push(...(await CASES[name]!(ctx)));
      } catch (error) {
        // One broken case must not cost the figures of the others.
        console.error(error);
        failed.push(name);
        ctx.notes.push(`case ${name} FAILED: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      }
    }
  } finally {
    await dropDatabases();
  }
  const minutes = (performance.now() - started) / 60_000;
  const run = { quick: values.quick, size: size ?? null, cases: only, minutes: Number(minutes.toFixed(2)), finished_at: new Date().toISOString() };
  await writeResults(`${RESULTS_DIR}latest.json`, machine, results, { ...run, notes: ctx.notes });
  console.log(markdownTable(results));
  for (const note of ctx.notes) console.log(`\n${note}`);
  const kind = values.quick ? 'quick run' : size ? `run at size ${size}` : 'full run';
  console.log(`\n${kind} in ${minutes.toFixed(1)} min on ${machine.cpus} cores; bench/results/latest.json written.`);
  if (failed.length > 0) process.exitCode = 1;
}

main().then(
  () => process.exit(),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

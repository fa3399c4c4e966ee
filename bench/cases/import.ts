import { bareInsertSelect } from '../lib/baselines.js';
import { createCampaign, phoneOf } from '../lib/campaigns.js';
import { seconds, type RunContext } from '../lib/context.js';
import { result, type Result } from '../lib/report.js';
import { startBenchSystem, type BenchSystem } from '../lib/system.js';

/**
 * Import through POST /campaigns/{id}/targets, one request after another: JSON arrays of
 * 10,000 rows, and CSV or NDJSON bodies of up to 100,000 rows when the API accepts them (one
 * untimed request each first; a 415 skips the format). Rows/s against a bare INSERT … SELECT.
 */
interface Format {
  name: string;
  contentType: string;
  rowsPerRequest: number;
  body(first: number, count: number): string;
}

const ZONES = ['Europe/Paris', 'America/New_York', 'Asia/Tokyo'];
const row = (index: number) => ({ phone: phoneOf(index), name: `Target ${index}`, timezone: ZONES[index % ZONES.length]! });
const range = (first: number, count: number) => Array.from({ length: count }, (_, i) => row(first + i));

const FORMATS: Format[] = [
  { name: 'JSON', contentType: 'application/json', rowsPerRequest: 10_000, body: (first, count) => JSON.stringify(range(first, count)) },
  {
    name: 'CSV',
    contentType: 'text/csv',
    rowsPerRequest: 100_000,
    body: (first, count) => ['phone,name,timezone', ...range(first, count).map((r) => `${r.phone},${r.name},${r.timezone}`)].join('\n') + '\n',
  },
  {
    name: 'NDJSON',
    contentType: 'application/x-ndjson',
    rowsPerRequest: 100_000,
    body: (first, count) =>
      range(first, count)
        .map((r) => `${JSON.stringify(r)}\n`)
        .join(''),
  },
];

const WARM_UP_ROWS = 10_000;

/**
 * One request of 10,000 rows into a campaign of its own, untimed: does the API take this format
 * (null: yes; else why not)? It also warms the API up (JIT, connections), so the first timed
 * request is not a cold one.
 */
async function refusal(system: BenchSystem, format: Format): Promise<string | null> {
  const campaignId = await createCampaign(system, `warm-up ${format.name}`);
  const answer = await system.request('POST', `/campaigns/${campaignId}/targets`, format.body(0, WARM_UP_ROWS), format.contentType);
  if (answer.status === 200 && answer.json.inserted === WARM_UP_ROWS) return null;
  return answer.status === 415
    ? 'the API answers 415 Unsupported Media Type'
    : `a request answered ${answer.status}: ${JSON.stringify(answer.json).slice(0, 200)}`;
}

async function importRows(system: BenchSystem, format: Format, size: number): Promise<number> {
  const campaignId = await createCampaign(system, `import ${format.name} ${size}`);
  const bodies: string[] = [];
  for (let first = 0; first < size; first += format.rowsPerRequest) bodies.push(format.body(first, Math.min(format.rowsPerRequest, size - first)));
  let inserted = 0;
  const started = performance.now();
  for (const body of bodies) {
    const answer = await system.request('POST', `/campaigns/${campaignId}/targets`, body, format.contentType);
    if (answer.status !== 200) throw new Error(`import ${format.name} answered ${answer.status}: ${JSON.stringify(answer.json).slice(0, 300)}`);
    inserted += answer.json.inserted as number;
  }
  const ms = performance.now() - started;
  if (inserted !== size) throw new Error(`import ${format.name}: ${inserted} of ${size} rows inserted`);
  return ms;
}

export async function importCase(ctx: RunContext): Promise<Result[]> {
  const results: Result[] = [];
  const system = await startBenchSystem(ctx, 'import', { roles: ['api'] });
  try {
    for (const format of FORMATS) {
      const refused = await refusal(system, format);
      if (refused) {
        ctx.notes.push(`import ${format.name} (${format.contentType}) skipped: ${refused}.`);
        continue;
      }
      for (const size of ctx.sizes([10_000, 100_000, 1_000_000])) {
        const ms = await importRows(system, format, size);
        const bare = size / seconds(await bareInsertSelect(ctx, system.pool, size));
        const perRequest = Math.min(format.rowsPerRequest, size);
        results.push(
          result({
            name: `import ${format.name}, ${perRequest.toLocaleString('en-US')} rows per request`,
            size,
            value: size / seconds(ms),
            unit: 'rows/s',
            baseline: bare,
            baselineName: `INSERT … SELECT ${size} uuid rows`,
            goal: ['≥', 50_000],
          }),
        );
        ctx.log(`import ${format.name} ${size}: ${(size / seconds(ms)).toFixed(0)} rows/s`);
      }
    }
  } finally {
    await system.close();
  }
  return results;
}

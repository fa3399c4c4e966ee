import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import type pg from 'pg';
import type { Redis } from 'ioredis';

/** One measured figure beside its bare reference from the same run. */
export interface Result {
  name: string;
  size: number;
  value: number;
  unit: string;
  /** The bare reference, in the same unit, and what it is. */
  baseline: number;
  baselineName: string;
  /** When the reference counts something else (jobs/s beside calls/s); the ratio is still value / baseline. */
  baselineUnit?: string;
  /** value / baseline. */
  ratio: number;
  /** The performance goal of bench/README.md, when the case has one, and whether this run met it. */
  goal?: { text: string; met: boolean };
  note?: string;
}

type Comparison = '<' | '≤' | '≥';

/**
 * A goal on the value (`['<', 3]`: under 3 of the row's unit), or with `'ratio'` on the ratio to
 * the bare reference (`['≤', 2, 'ratio']`: at most twice the reference).
 */
export type Goal = [Comparison, number] | [Comparison, number, 'ratio'];

const holds: Record<Comparison, (measured: number, bound: number) => boolean> = {
  '<': (measured, bound) => measured < bound,
  '≤': (measured, bound) => measured <= bound,
  '≥': (measured, bound) => measured >= bound,
};

export function result(fields: Omit<Result, 'ratio' | 'goal'> & { goal?: Goal }): Result {
  const { goal, ...rest } = fields;
  const measured: Result = { ...rest, ratio: fields.baseline > 0 ? fields.value / fields.baseline : Number.NaN };
  if (goal) {
    const [comparison, bound, on] = goal;
    measured.goal =
      on === 'ratio'
        ? { text: `ratio ${comparison} ${formatNumber(bound)}`, met: holds[comparison](measured.ratio, bound) }
        : { text: `${comparison} ${formatNumber(bound)} ${fields.unit}`, met: holds[comparison](fields.value, bound) };
  }
  return measured;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function markdownTable(results: Result[]): string {
  const lines = [
    '| case | size | value | bare reference | ratio | goal |',
    '|---|---:|---:|---|---:|---|',
    ...results.map((r) => {
      const goal = r.goal ? `${r.goal.met ? '✅' : '❌'} ${r.goal.text}` : '';
      const name = r.note ? `${r.name} (${r.note})` : r.name;
      return `| ${name} | ${formatNumber(r.size)} | ${formatNumber(r.value)} ${r.unit} | ${r.baselineName}: ${formatNumber(r.baseline)} ${r.baselineUnit ?? r.unit} | ${formatNumber(r.ratio)} | ${goal} |`;
    }),
  ];
  return lines.join('\n');
}

export async function machineFacts(pool: pg.Pool, redis: Redis) {
  const { rows } = await pool.query<{ version: string; autovacuum: string }>(
    `SELECT current_setting('server_version') AS version, current_setting('autovacuum') AS autovacuum`,
  );
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  return {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    memory_bytes: os.totalmem(),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    postgres: rows[0]!.version,
    postgres_autovacuum: rows[0]!.autovacuum,
    redis: redisVersion,
    load_average_at_start: os.loadavg().map((load) => Number(load.toFixed(2))),
  };
}

export async function writeResults(path: string, machine: object, results: Result[], options: object): Promise<void> {
  await mkdir(new URL('.', `file://${path}`), { recursive: true });
  const rows = results.map((r) => ({
    name: r.name,
    size: r.size,
    value: r.value,
    unit: r.unit,
    baseline: r.baseline,
    ratio: r.ratio,
    baseline_name: r.baselineName,
    baseline_unit: r.baselineUnit ?? r.unit,
    goal: r.goal?.text ?? null,
    met: r.goal?.met ?? null,
    note: r.note ?? null,
  }));
  await writeFile(path, `${JSON.stringify({ machine, run: options, results: rows }, null, 2)}\n`);
}

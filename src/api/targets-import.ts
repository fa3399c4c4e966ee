import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { CsvError, parse as csvParser } from 'csv-parse';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import type { IndexedTarget } from '../services/targets.js';
import { RequestValidationError } from './error-handler.js';
import { TargetIn, type TargetBatchResult } from './schemas/target.js';
import { PARSE_OPTIONS, truncated, validationItems, type ValidationErrorItem } from './validation.js';

// Bodies of POST /campaigns/{id}/targets: a JSON array (up to 10,000 rows), or for bulk loads
// CSV (`text/csv`) or NDJSON (`application/x-ndjson`), up to 100,000 rows. Each format becomes
// an array of rows, numbered from 0 in the order they come (a CSV's header and blank lines are
// not rows); every row is then validated on its own, so valid rows are kept.

const MAX_JSON_TARGETS = 10_000;
const MAX_BULK_TARGETS = 100_000;

const CSV_TYPE = 'text/csv';
const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson'];

/** The body's media types, as the OpenAPI document lists them. */
export const TARGET_MEDIA_TYPES = ['application/json', CSV_TYPE, ...NDJSON_TYPES];

/** CSV columns; `var_<name>` columns become `variables.<name>` (a string). */
const CSV_COLUMNS = ['customer_id', 'name', 'phone', 'whatsapp', 'email', 'timezone'] as const;
const VARIABLE_PREFIX = 'var_';

/** Rows are validated in slices, yielding between them, so a bulk load does not stall other requests. */
const SLICE = 2_000;

/** A row that could not even be read (an NDJSON line that is not JSON, a CSV row of the wrong width). */
class UnreadableRow {
  constructor(readonly problem: ValidationErrorItem) {}
}

const bodyProblem = (msg: string, type: string) => new RequestValidationError([{ loc: ['body'], msg, type }]);
const tooMany = (max: number) => bodyProblem(`at most ${max} targets per request`, 'too_long');

const shown = (text: string) => JSON.stringify(truncated(text, 40));

type Column = { field: (typeof CSV_COLUMNS)[number] } | { variable: string };

function csvHeader(cells: string[]): Column[] {
  const seen = new Set<string>();
  return cells.map((raw, position) => {
    const name = raw.trim();
    const fail = (msg: string) => new RequestValidationError([{ loc: ['body', 'header', position], msg, type: 'csv_header' }]);
    if (seen.has(name)) throw fail(`column ${shown(name)} appears twice`);
    seen.add(name);
    if ((CSV_COLUMNS as readonly string[]).includes(name)) return { field: name as (typeof CSV_COLUMNS)[number] };
    if (name.startsWith(VARIABLE_PREFIX) && name.length > VARIABLE_PREFIX.length) return { variable: name.slice(VARIABLE_PREFIX.length) };
    throw fail(`unknown column ${shown(name)}: use ${CSV_COLUMNS.join(', ')} or var_<name>`);
  });
}

/** A CSV record as a target row: empty cells are absent fields. */
function csvRow(columns: Column[], cells: string[]): unknown {
  if (cells.length !== columns.length) {
    return new UnreadableRow({ loc: [], msg: `the row has ${cells.length} fields, the header ${columns.length}`, type: 'csv_row_width' });
  }
  // Field names are the fixed CSV_COLUMNS; variable names come from the header, so they are
  // defined through fromEntries (own properties: a column named var___proto__ stays plain data).
  const row: Record<string, unknown> = {};
  const variables: Array<[string, string]> = [];
  cells.forEach((cell, position) => {
    if (cell === '') return;
    const column = columns[position]!;
    if ('field' in column) row[column.field] = cell;
    else variables.push([column.variable, cell]);
  });
  // No variables is the default (an empty object), with nothing to check.
  if (variables.length > 0) row.variables = Object.fromEntries(variables);
  return row;
}

const CSV_ERRORS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is not closed',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by other characters',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a closing quote is followed by other characters',
  CSV_MAX_RECORD_SIZE: 'a row is too large',
};

/** Reads a CSV body in slices (yielding between them); structural errors refuse the request. */
async function csvRows(body: Buffer): Promise<unknown[]> {
  const parser = csvParser({ bom: true, skip_empty_lines: true, relax_column_count: true, max_record_size: 1_048_576 });
  const rows: unknown[] = [];
  let columns: Column[] | undefined;
  const done = new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
  });
  // Observed below, after the writes; a failure meanwhile is not an unhandled rejection.
  done.catch(() => undefined);
  parser.on('readable', () => {
    let record: string[] | null;
    while ((record = parser.read() as string[] | null) !== null) {
      try {
        if (!columns) columns = csvHeader(record);
        else if (rows.length >= MAX_BULK_TARGETS) throw tooMany(MAX_BULK_TARGETS);
        else rows.push(csvRow(columns, record));
      } catch (error) {
        parser.destroy(error as Error);
        return;
      }
    }
  });
  const chunk = 1_048_576;
  for (let offset = 0; offset < body.length && !parser.destroyed; offset += chunk) {
    parser.write(body.subarray(offset, offset + chunk));
    await yieldToEventLoop();
  }
  if (!parser.destroyed) parser.end();
  try {
    await done;
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const line = typeof error.lines === 'number' ? ` (line ${error.lines})` : '';
    throw bodyProblem(`The body is not valid CSV${line}: ${CSV_ERRORS[error.code] ?? 'malformed'}.`, 'csv_invalid');
  }
  if (!columns) throw bodyProblem('The CSV body has no header row.', 'csv_invalid');
  return rows;
}

/** One JSON value per line; a line that is not JSON is an invalid row, blank lines are skipped. */
async function ndjsonRows(body: Buffer): Promise<unknown[]> {
  const rows: unknown[] = [];
  const lines = body.toString('utf8').split('\n');
  for (let start = 0; start < lines.length; start += SLICE) {
    for (const raw of lines.slice(start, start + SLICE)) {
      const line = raw.trim();
      if (line === '') continue;
      if (rows.length >= MAX_BULK_TARGETS) throw tooMany(MAX_BULK_TARGETS);
      try {
        rows.push(secureJson.parse(line, undefined, { protoAction: 'error', constructorAction: 'error' }));
      } catch {
        rows.push(new UnreadableRow({ loc: [], msg: 'JSON decode error: the line is not valid JSON.', type: 'json_invalid' }));
      }
    }
    await yieldToEventLoop();
  }
  return rows;
}

/** CSV and NDJSON bodies, for the targets route (JSON keeps Fastify's own parser). */
export function registerTargetBodyParsers(app: FastifyInstance): void {
  app.addContentTypeParser(CSV_TYPE, { parseAs: 'buffer' }, async (_request: FastifyRequest, body: Buffer) => csvRows(body));
  app.addContentTypeParser(NDJSON_TYPES, { parseAs: 'buffer' }, async (_request: FastifyRequest, body: Buffer) => ndjsonRows(body));
}

/** JSON arrays stay small (they are parsed whole); CSV and NDJSON bodies are checked while read. */
export function checkJsonRowCount(request: FastifyRequest, rows: unknown[]): void {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const bulk = type === CSV_TYPE || NDJSON_TYPES.includes(type);
  if (!bulk && rows.length > MAX_JSON_TARGETS) {
    throw bodyProblem(`at most ${MAX_JSON_TARGETS} targets per JSON request; send text/csv or application/x-ndjson for up to ${MAX_BULK_TARGETS}`, 'too_long');
  }
}

/** Validates every row on its own: valid rows become typed targets, the others are reported by index. */
export async function validateTargetRows(rows: unknown[]): Promise<{ valid: IndexedTarget[]; invalid: TargetBatchResult['invalid'] }> {
  const valid: IndexedTarget[] = [];
  const invalid: TargetBatchResult['invalid'] = [];
  for (let start = 0; start < rows.length; start += SLICE) {
    const end = Math.min(rows.length, start + SLICE);
    for (let index = start; index < end; index++) {
      const row = rows[index];
      if (row instanceof UnreadableRow) {
        invalid.push({ index, errors: [row.problem] });
        continue;
      }
      const parsed = TargetIn.safeParse(row, PARSE_OPTIONS);
      if (!parsed.success) {
        invalid.push({ index, errors: validationItems(parsed.error.issues, []) });
        continue;
      }
      const target = parsed.data;
      valid.push({
        index,
        target: {
          customerId: target.customer_id ?? null,
          name: target.name ?? null,
          phone: target.phone ?? null,
          whatsapp: target.whatsapp ?? null,
          email: target.email ?? null,
          timezone: target.timezone ?? null,
          variables: target.variables,
        },
      });
    }
    if (end < rows.length) await yieldToEventLoop();
  }
  return { valid, invalid };
}

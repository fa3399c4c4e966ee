import { z } from 'zod';
import { inputLimits } from '../limits.js';

// Checks for what PostgreSQL, the JSON serializer or Redis would refuse or choke on: NUL
// characters, lone surrogates, integers beyond int32, unbounded text and nesting, datetimes out
// of range. They are refinements (never JSON-Schema keywords), so the generated OpenAPI
// document stays the execution contract's (docs/execution-contract.openapi.json), and they read the configured limits at parse time.

declare global {
  interface String {
    /** ES2024, in Node since 20: false when the string holds a lone surrogate. */
    isWellFormed(): boolean;
  }
}

const INT32_MIN = -2_147_483_648;
export const INT32_MAX = 2_147_483_647;

/** A problem found in a value; `path` is relative to the value checked. */
export interface InputProblem {
  path: Array<string | number>;
  message: string;
  type: string;
}

type IssueSink = { addIssue(issue: { code: 'custom'; message: string; path?: PropertyKey[]; params: { type: string } }): void };

export function report(ctx: IssueSink, problems: InputProblem[]): void {
  for (const problem of problems) {
    ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path, params: { type: problem.type } });
  }
}

/** Characters as people count them (code points), computed only when it can matter. */
function charCount(value: string, max: number): number {
  if (value.length <= max) return value.length;
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/** What is wrong with a string that PostgreSQL must store, or null. */
function stringProblem(value: string, maxChars?: number): Omit<InputProblem, 'path'> | null {
  if (value.includes('\u0000')) return { message: 'must not contain NUL characters (\\u0000)', type: 'string_nul' };
  if (!value.isWellFormed()) return { message: 'must be valid Unicode text (no lone surrogates such as \\ud800)', type: 'string_unicode' };
  if (maxChars !== undefined && charCount(value, maxChars) > maxChars) {
    return { message: `must be at most ${maxChars} characters`, type: 'string_too_long' };
  }
  return null;
}

export function textProblems(value: string | null | undefined, path: Array<string | number>, maxChars?: number): InputProblem[] {
  if (typeof value !== 'string') return [];
  const problem = stringProblem(value, maxChars);
  return problem ? [{ path, ...problem }] : [];
}

export function int32Problems(value: number | null | undefined, path: Array<string | number>): InputProblem[] {
  if (typeof value !== 'number' || (value >= INT32_MIN && value <= INT32_MAX)) return [];
  return [{ path, message: `must be a 32-bit integer (${INT32_MIN} to ${INT32_MAX})`, type: 'int_out_of_range' }];
}

/** A string refinement: no NUL, well-formed, and at most `maxChars()` characters when given. */
export const checkedString = (maxChars?: () => number) => z.string().superRefine((value, ctx) => report(ctx, textProblems(value, [], maxChars?.())));

const MAX_PROBLEMS = 10;

/**
 * Walks a JSON value without recursion (a 5,000-level object must not overflow the stack):
 * keys and strings must be storable text, numbers finite, nesting at most `maxDepth` levels
 * (the value itself is level 1), and the serialized size at most `maxBytes`.
 */
function jsonProblems(root: unknown, maxDepth: number, maxBytes: number): InputProblem[] {
  const problems: InputProblem[] = [];
  // Bounds of the serialized size: the lower one stops the walk early on huge values; when the
  // upper one (every character escaped, every number at its longest) is within the limit, the
  // value need not be serialized to be measured.
  let lower = 0;
  let upper = 0;
  const stack: Array<{ value: unknown; path: Array<string | number>; depth: number }> = [{ value: root, path: [], depth: 1 }];
  while (stack.length > 0 && problems.length < MAX_PROBLEMS) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      lower += value.length + 2;
      upper += value.length * 6 + 3;
      const problem = stringProblem(value);
      if (problem) problems.push({ path, ...problem });
    } else if (typeof value === 'number') {
      lower += 1;
      upper += 25;
      if (!Number.isFinite(value)) problems.push({ path, message: 'numbers must be finite', type: 'finite_number' });
    } else if (value !== null && typeof value === 'object') {
      lower += 2;
      upper += 2;
      if (depth > maxDepth) {
        problems.push({ path, message: `is nested too deeply: at most ${maxDepth} levels`, type: 'too_deep' });
        continue;
      }
      if (Array.isArray(value)) {
        lower += value.length;
        if (lower > maxBytes) break;
        value.forEach((item, index) => stack.push({ value: item, path: [...path, index], depth: depth + 1 }));
      } else {
        for (const [key, item] of Object.entries(value)) {
          lower += key.length + 4;
          upper += key.length * 6 + 4;
          const problem = stringProblem(key);
          if (problem) problems.push({ path: [...path, key], message: `key ${problem.message}`, type: problem.type });
          stack.push({ value: item, path: [...path, key], depth: depth + 1 });
        }
      }
    } else {
      lower += 4;
      upper += 6;
    }
    if (lower > maxBytes) break;
  }
  if (problems.length > 0) return problems;
  // Within the depth bound, so serializing is safe when the exact size has to be known.
  if (lower > maxBytes || (upper > maxBytes && Buffer.byteLength(JSON.stringify(root)) > maxBytes)) {
    return [{ path: [], message: `must be at most ${maxBytes} bytes serialized as JSON`, type: 'too_large' }];
  }
  return [];
}

/** A target's `variables`: a JSON object within the configured size and depth. */
export const variablesObject = () =>
  z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    const { variablesMaxDepth, variablesMaxBytes } = inputLimits();
    report(ctx, jsonProblems(value, variablesMaxDepth, variablesMaxBytes));
  });

// PostgreSQL's timestamptz and date reach further, but a moment or a day outside these years is a mistake.
const EARLIEST_DATE = '1970-01-01';
const LATEST_DATE = '9999-12-31';
const EARLIEST = Date.parse(`${EARLIEST_DATE}T00:00:00Z`);
const LATEST = Date.parse(`${LATEST_DATE}T23:59:59.999Z`);

/** An ISO 8601 date-time with offset, between 1970 and 9999. */
export const instant = () =>
  z.iso.datetime({ offset: true }).superRefine((value, ctx) => {
    const time = Date.parse(value);
    if (!(time >= EARLIEST && time <= LATEST)) {
      ctx.addIssue({ code: 'custom', message: `must be a date-time between ${EARLIEST_DATE} and ${LATEST_DATE}`, params: { type: 'datetime_out_of_range' } });
    }
  });

/** Dates (YYYY-MM-DD, already known to be real calendar dates) outside the years an instant may take. */
export function dateProblems(dates: readonly string[] | null | undefined, path: Array<string | number>): InputProblem[] {
  return (dates ?? []).flatMap((date, index) =>
    date >= EARLIEST_DATE && date <= LATEST_DATE
      ? []
      : [{ path: [...path, index], message: `must be a date between ${EARLIEST_DATE} and ${LATEST_DATE}`, type: 'date_out_of_range' }],
  );
}

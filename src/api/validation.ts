import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { textProblems, type InputProblem } from './schemas/input-checks.js';

/** One problem in the execution contract's ValidationError (docs/execution-contract.openapi.json) shape (FastAPI's `{loc, msg, type}`). */
export interface ValidationErrorItem {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

const EXPECTED: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  record: 'an object',
  null: 'null',
};

function described(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  switch (typeof input) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isInteger(input) ? 'a number too large to be exact' : Number.isNaN(input) ? 'not a number' : 'a number with a fraction';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return typeof input;
  }
}

/** Present input (`reportInput`); a field absent from the request has none. */
const isAbsent = (issue: z.core.$ZodIssue) => issue.code === 'invalid_type' && (!('input' in issue) || issue.input === undefined);

/**
 * Messages for schemas that do not set their own: a wrong type says what was expected and what
 * came (its kind, never its value), so that it cannot be mistaken for a missing field.
 */
const messageFor: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type' && issue.input !== undefined) {
    return `Input should be ${EXPECTED[issue.expected] ?? issue.expected}; received ${described(issue.input)}`;
  }
  return undefined;
};

export const PARSE_OPTIONS = { reportInput: true, error: messageFor } as const;

/** Text a client sent, echoed back in an answer: cut after `max` characters. */
export const truncated = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

const MAX_SEGMENT = 100;
const segment = (key: PropertyKey): string | number => (typeof key === 'number' ? key : truncated(String(key), MAX_SEGMENT));

/** zod issues as ValidationError items under `prefix` (e.g. `["body"]`). */
export function validationItems(issues: readonly z.core.$ZodIssue[], prefix: Array<string | number>, rootNullIsMissing = false): ValidationErrorItem[] {
  return issues.map((issue) => {
    const loc = [...prefix, ...issue.path.map(segment)];
    const missing = isAbsent(issue) || (rootNullIsMissing && issue.code === 'invalid_type' && issue.path.length === 0 && issue.input === null);
    if (missing) return { loc, msg: 'Field required', type: 'missing' };
    const params = issue.code === 'custom' ? (issue.params as { type?: unknown } | undefined) : undefined;
    const type = typeof params?.type === 'string' ? params.type : issue.code === 'invalid_type' ? `${issue.expected}_type` : issue.code;
    return { loc, msg: issue.message, type };
  });
}

/** A request part (body, query, path, headers) that its route schema refused. */
export class SchemaValidationError extends Error {
  /** Set by Fastify: which part of the request failed. */
  validationContext?: string;
  constructor(readonly issues: readonly z.core.$ZodIssue[]) {
    super(issues.map((issue) => issue.message).join('; '));
  }
}

/** The request parts that come from the URL: every key and value in them is text the client chose. */
const URL_PARTS = new Set(['querystring', 'params']);

/**
 * Keys and values of the query string or the path parameters that are not storable text (NUL, a
 * lone surrogate, which src/api/query-string.ts also makes of a malformed percent-encoding), each
 * as an issue at its key: checked for every route, before its schema, so that no route's query
 * reaches PostgreSQL with them.
 */
function urlTextIssues(data: unknown): z.core.$ZodIssue[] {
  if (data === null || typeof data !== 'object') return [];
  const problems: InputProblem[] = [];
  for (const [key, value] of Object.entries(data)) {
    problems.push(...textProblems(key, [key]).map((problem) => ({ ...problem, message: `key ${problem.message}` })));
    const values: unknown[] = Array.isArray(value) ? value : [value];
    for (const item of values) if (typeof item === 'string') problems.push(...textProblems(item, [key]));
  }
  return problems.map(({ path, message, type }) => ({ code: 'custom', path, message, params: { type } }));
}

/**
 * Route schemas are zod. Unlike fastify-type-provider-zod's compiler, this one keeps zod's path
 * segments intact (a key may contain "/"), reports whether a field was absent or of the wrong
 * type, and never echoes the input.
 */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const checksUrlText = httpPart !== undefined && URL_PARTS.has(httpPart);
  return (data) => {
    const unstorable = checksUrlText ? urlTextIssues(data) : [];
    if (unstorable.length > 0) return { error: new SchemaValidationError(unstorable) };
    const result = schema.safeParse(data, PARSE_OPTIONS);
    return result.success ? { value: result.data } : { error: new SchemaValidationError(result.error.issues) };
  };
};

import { z } from 'zod';
import { canonicalTimeZone } from '../../domain/time-zones.js';

/**
 * Any 8-4-4-4-12 hex identifier, as Pydantic's UUID accepts (zod's z.uuid() is stricter),
 * normalized to lower case: uuids are compared case-insensitively everywhere because every one
 * the API receives (path, query, body) is lower-cased here. `toLowerCase` is an overwrite, not a
 * transform: the generated OpenAPI document does not change.
 */
export const guid = (error = 'Input should be a valid UUID') => z.guid({ error }).toLowerCase();
export const uuid = (title: string) => guid().meta({ title });

/**
 * A time zone, answered and stored under its current IANA name (src/domain/time-zones.ts):
 * `overwrite` rather than a transform, so the generated OpenAPI document does not change.
 */
export const ianaTimezone = z
  .string()
  .refine((zone) => canonicalTimeZone(zone) !== null, { error: 'must be an IANA time zone name, e.g. Europe/Paris' })
  .overwrite((zone) => canonicalTimeZone(zone) ?? zone);

const DECIMAL = /^[0-9]{1,15}$/;

/**
 * An integer query parameter, written in plain decimal digits: `0x10`, `1e3`, ` 7` or `1.0` are
 * refused (a coercing Number() would read them).
 */
const queryInt = (min: number, max: number, fallback: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value),
    z
      .int({ error: (issue) => (issue.code === 'invalid_type' ? 'Input should be an integer written in decimal digits' : undefined) })
      .min(min)
      .max(max)
      .default(fallback),
  );

/** `{"detail": "<one clear sentence>"}`: every error but validation. */
export const ErrorDetail = z.object({ detail: z.string() }).meta({ id: 'ErrorDetail', title: 'ErrorDetail' });

export const ValidationErrorItem = z
  .object({
    loc: z.array(z.union([z.string(), z.int()])).meta({ title: 'Location' }),
    msg: z.string().meta({ title: 'Message' }),
    type: z.string().meta({ title: 'Error Type' }),
  })
  .meta({ id: 'ValidationError', title: 'ValidationError' });

export const HTTPValidationError = z
  .object({ detail: z.array(ValidationErrorItem).optional().meta({ title: 'Detail' }) })
  .meta({ id: 'HTTPValidationError', title: 'HTTPValidationError' });

export const CursorQuery = z.object({
  limit: queryInt(1, 500, 50),
  cursor: guid('Input should be a cursor returned by a previous page').optional(),
});
export type CursorQuery = z.output<typeof CursorQuery>;

export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next_cursor: z.string().nullable() });

import { IANAZone } from 'luxon';
import { z } from 'zod';

const UUID_ERROR = 'Input should be a valid UUID';

/** Any 8-4-4-4-12 hex identifier, as Pydantic's UUID accepts (zod's z.uuid() is stricter). */
export const uuid = (title: string) => z.guid({ error: UUID_ERROR }).meta({ title });

/** A uuid in a path, query or body outside the contract's schemas. */
export const uuidParam = z.guid({ error: UUID_ERROR });

// luxon checks a zone by building an Intl formatter (tens of µs, most of an import's CPU): a
// zone found valid is remembered (bounded, as Intl also takes any casing of a name).
const validZones = new Set<string>();
const isValidZone = (zone: string) => {
  if (validZones.has(zone)) return true;
  if (!IANAZone.isValidZone(zone)) return false;
  if (validZones.size < 10_000) validZones.add(zone);
  return true;
};

export const ianaTimezone = z.string().refine(isValidZone, { error: 'must be a valid IANA time zone, e.g. Europe/Paris' });

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
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.guid({ error: 'Input should be a cursor returned by a previous page' }).optional(),
});
export type CursorQuery = z.output<typeof CursorQuery>;

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() });

import { z } from 'zod';
import { targetStates } from '../../domain/target-state.js';
import { guid, ianaTimezone } from './common.js';
import { checkedString, variablesObject } from './input-checks.js';

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number, e.g. +14155550123');

export const TargetIn = z
  .object({
    customer_id: guid().optional(),
    name: checkedString().max(200).optional(),
    phone: e164.optional(),
    whatsapp: e164.optional(),
    email: z.email({ error: 'must be an email address' }).max(320).optional(),
    timezone: ianaTimezone.optional(),
    variables: variablesObject().default({}),
  })
  .refine((target) => target.phone || target.whatsapp || target.email, {
    error: 'a target needs at least one contact: phone, whatsapp or email',
  })
  .meta({ id: 'TargetIn', title: 'TargetIn' });
export type TargetIn = z.output<typeof TargetIn>;

/**
 * Rows are validated one by one (valid rows are kept), so the body accepts any items; the row
 * count is bounded per format (src/api/targets-import.ts).
 */
export const TargetBatch = z
  .array(z.unknown())
  .meta({ items: { $ref: '#/components/schemas/TargetIn' }, description: 'Targets to add (up to 10,000 in a JSON array).' });

const RowProblem = z.object({ loc: z.array(z.union([z.string(), z.int()])), msg: z.string(), type: z.string() });

export const TargetBatchResult = z
  .object({
    inserted: z.int(),
    duplicates: z.array(z.object({ index: z.int(), reason: z.string() })),
    invalid: z.array(z.object({ index: z.int(), errors: z.array(RowProblem) })),
  })
  .meta({ id: 'TargetBatchResult', title: 'TargetBatchResult' });
export type TargetBatchResult = z.output<typeof TargetBatchResult>;

export const TargetOut = z
  .object({
    id: z.guid(),
    customer_id: z.string().nullable(),
    name: z.string().nullable(),
    phone: z.string().nullable(),
    whatsapp: z.string().nullable(),
    email: z.string().nullable(),
    timezone: z.string().nullable(),
    variables: z.record(z.string(), z.unknown()),
    state: z.enum(targetStates),
    opted_out_at: z
      .string()
      .nullable()
      .meta({ description: 'When this target asked not to be contacted again (a call outcome with opt_out, an opt-out WhatsApp reply); null otherwise.' }),
    created_at: z.string(),
  })
  .meta({ id: 'TargetOut', title: 'TargetOut' });

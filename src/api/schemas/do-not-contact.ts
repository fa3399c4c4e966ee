import { z } from 'zod';
import { normalizeCustomerId, normalizeEmail, normalizeNumber } from '../../domain/contact-values.js';
import { CursorQuery, guid } from './common.js';

const number = z
  .string()
  .max(64)
  .refine((value) => normalizeNumber(value) !== null, { error: 'must be a phone number in international format, e.g. +14155550123' });

const KINDS = ['phone', 'whatsapp', 'email', 'customer_id'] as const;

/**
 * One identifier per entry; numbers are normalized to E.164, emails and customer ids to lower
 * case. Each field is checked on its own, so a bad entry is refused at the field that is wrong.
 */
export const DoNotContactEntryIn = z
  .strictObject({
    phone: number.optional(),
    whatsapp: number.optional(),
    email: z.email({ error: 'must be an email address' }).max(320).optional(),
    customer_id: guid().optional(),
  })
  .refine((entry) => KINDS.filter((kind) => entry[kind] !== undefined).length === 1, {
    error: 'send exactly one of phone, whatsapp, email or customer_id',
  })
  .transform((entry) => {
    const kind = KINDS.find((candidate) => entry[candidate] !== undefined)!;
    const given = entry[kind]!;
    const value = kind === 'email' ? normalizeEmail(given) : kind === 'customer_id' ? normalizeCustomerId(given) : normalizeNumber(given)!;
    return { kind, value };
  })
  .meta({
    id: 'DoNotContactEntryIn',
    title: 'DoNotContactEntryIn',
    description: 'Exactly one of phone, whatsapp, email or customer_id.',
  });

export const DoNotContactBatch = z.array(DoNotContactEntryIn).min(1).max(10_000);

export const DoNotContactOut = z
  .object({
    id: z.guid(),
    kind: z.enum(KINDS),
    value: z.string(),
    reason: z
      .enum(['manual', 'opt_out'])
      .meta({ description: 'manual: added with POST /do-not-contact; opt_out: captured from a call outcome or a WhatsApp reply.' }),
    source: z
      .object({
        campaign_id: z.guid().nullable(),
        target_id: z.guid().nullable(),
        call_id: z.guid().nullable(),
        message_id: z.guid().nullable(),
      })
      .nullable()
      .meta({ description: 'Where an opt-out was heard: its campaign and target, and the call or WhatsApp message; null for manual entries.' }),
    created_at: z.string(),
  })
  .meta({ id: 'DoNotContactOut', title: 'DoNotContactOut' });

export const DoNotContactAdded = z
  .object({
    added: z.array(DoNotContactOut),
    already_listed: z.array(z.string()).meta({ description: 'Normalized values that were on the list already.' }),
  })
  .meta({ id: 'DoNotContactAdded', title: 'DoNotContactAdded' });

export const DoNotContactQuery = CursorQuery.extend({
  value: z.string().max(320).optional().meta({ description: 'An identifier to look for (normalized as entries are: numbers to E.164, emails to lower case).' }),
});

import { z } from 'zod';
import { normalizeCustomerId, normalizeEmail, normalizeNumber } from '../../domain/contact-values.js';
import { CursorQuery, guid } from './common.js';

const number = (kind: 'phone' | 'whatsapp') =>
  z
    .string()
    .max(64)
    .transform((value, ctx) => {
      const normalized = normalizeNumber(value);
      if (normalized === null) {
        ctx.addIssue({ code: 'custom', message: 'must be a phone number in international format, e.g. +14155550123' });
        return z.NEVER;
      }
      return { kind, value: normalized };
    });

/** One identifier per entry; numbers are normalized to E.164, emails and customer ids to lower case. */
export const DoNotContactEntryIn = z
  .union([
    z.strictObject({ phone: number('phone') }).transform((entry) => entry.phone),
    z.strictObject({ whatsapp: number('whatsapp') }).transform((entry) => entry.whatsapp),
    z
      .strictObject({ email: z.email({ error: 'must be an email address' }).max(320) })
      .transform((entry) => ({ kind: 'email' as const, value: normalizeEmail(entry.email) })),
    z
      .strictObject({ customer_id: guid() })
      .transform((entry) => ({ kind: 'customer_id' as const, value: normalizeCustomerId(entry.customer_id) })),
  ])
  .meta({
    id: 'DoNotContactEntryIn',
    title: 'DoNotContactEntryIn',
    description: 'Exactly one of phone, whatsapp, email or customer_id.',
  });

export const DoNotContactBatch = z.array(DoNotContactEntryIn).min(1).max(10_000);

export const DoNotContactOut = z
  .object({
    id: z.guid(),
    kind: z.enum(['phone', 'whatsapp', 'email', 'customer_id']),
    value: z.string(),
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
  value: z
    .string()
    .max(320)
    .optional()
    .meta({ description: 'An identifier to look for (normalized as entries are: numbers to E.164, emails to lower case).' }),
});

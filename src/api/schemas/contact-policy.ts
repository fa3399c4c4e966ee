import { z } from 'zod';
import { checkedString } from './input-checks.js';
import { CONTACT_CAP_MAX_HOURS } from '../../domain/contact-caps.js';
import { DEFAULT_OPT_OUT_KEYWORDS } from '../../domain/opt-out.js';

const ContactCapSchema = z
  .strictObject({
    hours: z
      .int()
      .min(1)
      .max(CONTACT_CAP_MAX_HOURS)
      .meta({ description: `The window the cap counts, in hours (1 to ${CONTACT_CAP_MAX_HOURS}).` }),
    max: z.int().min(1).max(1000).meta({ description: 'Calls dialed to one number within any such window, at most.' }),
  })
  .meta({ id: 'ContactCap', title: 'ContactCap' });

const caps = z
  .array(ContactCapSchema)
  .max(10)
  .refine((list) => new Set(list.map((cap) => cap.hours)).size === list.length, { error: 'must not give two caps of the same hours' })
  .meta({
    title: 'Max Calls Per Contact',
    description:
      'Caps on calls dialed to one number across every campaign of the organization; a call that would exceed one is held until every cap allows it.',
  });

const keywords = z
  .array(checkedString().refine((keyword) => keyword.trim().length > 0 && keyword.trim().length <= 50, { error: 'must be 1 to 50 characters, not blank' }))
  .min(1)
  .max(50)
  .meta({
    title: 'Opt Out Keywords',
    description: `A WhatsApp reply whose whole trimmed text is one of these (any case) is an opt-out. Default: ${DEFAULT_OPT_OUT_KEYWORDS.join(', ')}.`,
  });

export const ContactPolicyIn = z
  .strictObject({
    max_calls_per_contact: caps.default([]),
    opt_out_keywords: keywords.nullable().optional().meta({ description: 'null or absent: the default keywords.' }),
  })
  .meta({ id: 'ContactPolicyIn', title: 'ContactPolicyIn' });

export const ContactPolicyOut = z
  .object({
    max_calls_per_contact: z.array(ContactCapSchema),
    opt_out_keywords: z.array(z.string()).meta({ description: 'Stored trimmed and in upper case.' }),
    updated_at: z.string().nullable().meta({ description: 'null: the organization never set a policy (the defaults apply).' }),
  })
  .meta({ id: 'ContactPolicy', title: 'ContactPolicy' });

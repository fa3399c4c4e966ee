import type { NewTarget } from '../services/targets.js';
import { TargetIn, type TargetBatchResult } from './schemas/target.js';

/**
 * Validates each row of a batch on its own: valid rows go on (with their index in the request),
 * invalid ones are reported by index in the contract's ValidationError shape.
 */
export function validateRows(rows: unknown[]) {
  const valid: Array<{ index: number; target: Omit<NewTarget, 'dedupeKey'> }> = [];
  const invalid: TargetBatchResult['invalid'] = [];
  rows.forEach((raw, index) => {
    const parsed = TargetIn.safeParse(raw);
    if (!parsed.success) {
      invalid.push({
        index,
        errors: parsed.error.issues.map((issue) => ({
          loc: issue.path.map((part) => (typeof part === 'number' ? part : String(part))),
          msg: issue.message,
          type: issue.code,
        })),
      });
      return;
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
  });
  return { valid, invalid };
}

import { createHash } from 'node:crypto';

/** SHA-256 of a text, in hex: how API keys are stored and rate-limit budgets are named. */
export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

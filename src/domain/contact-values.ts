import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * Contact identifiers in the one form they are stored and compared in, so a do-not-contact
 * entry matches a target however either was typed: numbers in E.164, emails and customer ids
 * in lower case.
 */
export function normalizeNumber(input: string): string | null {
  const parsed = parsePhoneNumberFromString(input.trim());
  return parsed?.isPossible() ? parsed.number : null;
}

export const normalizeEmail = (input: string) => input.trim().toLowerCase();

export const normalizeCustomerId = (input: string) => input.trim().toLowerCase();

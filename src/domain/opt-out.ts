/**
 * Opt-outs (docs/product.md, "Contact caps and opt-outs"): a WhatsApp reply whose whole trimmed
 * text is one of the organization's opt-out keywords, case-insensitively, is an opt-out. Pure.
 */

export const DEFAULT_OPT_OUT_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'] as const;

/** A keyword as it is stored and compared: trimmed, upper case. */
export const normalizeKeyword = (text: string) => text.trim().toUpperCase();

/** Keywords as stored: normalized, each once. */
export const normalizeKeywords = (keywords: readonly string[]) => [...new Set(keywords.map(normalizeKeyword))];

/** The keywords in force: the organization's, or the defaults when it set none (null). */
export const optOutKeywordsOf = (stored: readonly string[] | null | undefined): string[] => [...(stored ?? DEFAULT_OPT_OUT_KEYWORDS)];

/** Whether the reply is an opt-out: its whole text, trimmed, is a keyword (any case). */
export function isOptOutReply(text: string | null | undefined, keywords: readonly string[]): boolean {
  if (text === null || text === undefined) return false;
  const reply = normalizeKeyword(text);
  return reply.length > 0 && keywords.some((keyword) => normalizeKeyword(keyword) === reply);
}

/**
 * A reply's text as it can be stored: without NUL characters and with lone surrogates replaced
 * (PostgreSQL refuses both), so a sender's odd reply never blocks its report.
 */
export const storableReply = (text: string) =>
  text.replaceAll('\u0000', '').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

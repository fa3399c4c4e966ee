const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH']);

/**
 * True for failures that mean "a backing service cannot be reached" rather than a bug:
 * socket errors, ioredis refusing a command while offline, and pg pool timeouts.
 */
export function isUnavailable(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = (current as Error & { cause?: unknown }).cause) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    if (/Stream isn't writeable|Connection is closed|enableOfflineQueue|timeout exceeded when trying to connect|Can't reach database|Connection terminated/i.test(current.message)) {
      return true;
    }
    if (current instanceof AggregateError && current.errors.some(isUnavailable)) return true;
  }
  return false;
}

/** What `withTimeout` rejects with (error code ETIMEDOUT, as a socket timeout). */
export class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
}

/** Rejects with a TimeoutError when `operation` has not settled within `ms`. */
export async function withTimeout<T>(operation: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([operation, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

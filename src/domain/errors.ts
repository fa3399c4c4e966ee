/**
 * The one hierarchy of typed failures. Each carries one clear sentence for the caller; the API
 * maps `kind` to an HTTP status in one place (src/api/error-handler.ts) and the workers read
 * `retryable`: a retryable failure is retried with backoff, any other one is final.
 */
export type ErrorKind = 'bad_request' | 'invalid_field' | 'unauthorized' | 'not_found' | 'conflict' | 'unavailable' | 'invalid_data' | 'internal';

export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
  readonly retryable: boolean = false;
  constructor(
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
  }
}

export class BadRequest extends DomainError {
  readonly kind = 'bad_request' as const;
  override name = 'BadRequest';
}

/**
 * A value the request schema cannot judge alone (it depends on stored data or on the time),
 * answered 422 like a schema failure, at `loc` (`["body", "ends_at"]`, say).
 */
export class InvalidField extends DomainError {
  readonly kind = 'invalid_field' as const;
  override name = 'InvalidField';
  constructor(
    readonly loc: ReadonlyArray<string | number>,
    detail: string,
    readonly type: string,
  ) {
    super(detail);
  }
}

export class Unauthorized extends DomainError {
  readonly kind = 'unauthorized' as const;
  override name = 'Unauthorized';
}

export class NotFound extends DomainError {
  readonly kind = 'not_found' as const;
  override name = 'NotFound';
}

export class Conflict extends DomainError {
  readonly kind = 'conflict' as const;
  override name = 'Conflict';
}

/** A command that the campaign's current status does not allow. */
export class InvalidTransition extends Conflict {
  override name = 'InvalidTransition';
}

export type Dependency = 'postgres' | 'redis';

/** What a request answers when it cannot reach PostgreSQL or Redis, whichever it was (docs/api.md). */
export const UNAVAILABLE_DETAIL = 'A backing service (PostgreSQL or Redis) is unavailable; nothing was changed. Retry shortly.';

/** A dependency cannot be reached; nothing was changed. Retrying later can succeed. */
export class ServiceUnavailable extends DomainError {
  readonly kind = 'unavailable' as const;
  override readonly retryable = true;
  override name = 'ServiceUnavailable';
  constructor(
    readonly dependency: Dependency,
    detail = UNAVAILABLE_DETAIL,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
  }
}

/** Stored or queued data that breaks an invariant (a malformed job, a row that is gone): no retry helps. */
export class InvalidData extends DomainError {
  readonly kind = 'invalid_data' as const;
  override name = 'InvalidData';
}

/** Whether a failure may succeed when tried again: unknown errors (bugs, timeouts) are retried too. */
export function isRetryable(error: unknown): boolean {
  return error instanceof DomainError ? error.retryable : true;
}

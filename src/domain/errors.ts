/**
 * Typed failures of the system. Each carries one clear sentence for the caller; the API maps
 * the kind to an HTTP status in one place (src/api/error-handler.ts) and workers treat them
 * as final (never retried).
 */
export abstract class DomainError extends Error {
  abstract readonly kind: 'bad_request' | 'unauthorized' | 'not_found' | 'conflict' | 'unavailable';
  constructor(readonly detail: string) {
    super(detail);
  }
}

export class BadRequest extends DomainError {
  readonly kind = 'bad_request' as const;
  override name = 'BadRequest';
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

/** A dependency (PostgreSQL, Redis) cannot be reached; the request changed nothing. */
export class ServiceUnavailable extends DomainError {
  readonly kind = 'unavailable' as const;
  override name = 'ServiceUnavailable';
}

/** Work that can never succeed however often it is retried (e.g. its row is gone). */
export class PermanentFailure extends Error {
  override name = 'PermanentFailure';
}

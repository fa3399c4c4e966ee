import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isConnectionFailure } from '../dependencies.js';
import type { DependencyMonitor } from '../dependencies.js';
import { DomainError, type ErrorKind } from '../domain/errors.js';

export const HTTP_STATUS_OF: Record<ErrorKind, number> = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  // Stored data that breaks an invariant: the server's fault, not the caller's.
  invalid_data: 500,
};

const LOCATION_OF: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

interface ValidationIssue {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** One zod issue in the contract's ValidationError shape (FastAPI's `{loc, msg, type}`). */
function toValidationError(context: string, issue: ValidationIssue) {
  const path = issue.instancePath
    .split('/')
    .filter(Boolean)
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
  const missing = issue.keyword === 'invalid_type' && issue.params.input === undefined;
  return {
    loc: [LOCATION_OF[context] ?? context, ...path],
    msg: missing ? 'Field required' : (issue.message ?? 'Invalid value'),
    type: missing ? 'missing' : issue.keyword,
  };
}

const bodyError = (msg: string, type: string) => ({ detail: [{ loc: ['body'], msg, type }] });

export interface ValidationErrorItem {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

/** A request value checked outside the route schema; answers 422 like schema failures. */
export class RequestValidationError extends Error {
  constructor(readonly items: ValidationErrorItem[]) {
    super(items.map((item) => item.msg).join('; '));
  }
}

/** The one place where failures become HTTP answers; nothing leaks a stack trace. */
export function registerErrorHandling(app: FastifyInstance, monitor: DependencyMonitor): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const context = error.validationContext ?? 'body';
      return reply.code(422).send({ detail: error.validation.map((issue) => toValidationError(context, issue)) });
    }
    if (error instanceof RequestValidationError) return reply.code(422).send({ detail: error.items });
    if (error instanceof DomainError && error.kind !== 'invalid_data') {
      return reply.code(HTTP_STATUS_OF[error.kind]).send({ detail: error.detail });
    }
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return reply.code(422).send(bodyError('JSON decode error: the body is not valid JSON.', 'json_invalid'));
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return reply.code(422).send(bodyError('Field required', 'missing'));
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.code(413).send({ detail: 'The request body is too large.' });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply.code(415).send({ detail: 'Send the body as application/json.' });
    }
    if (isConnectionFailure(error)) {
      // Redis connections report their own failures; anything else failing to connect here is
      // PostgreSQL, through the ORM. The outage is logged once by the monitor, not per request.
      if (!monitor.isDown('redis')) monitor.down('postgres', error);
      request.log.debug({ err: error }, 'dependency unavailable');
      return reply.code(503).send({ detail: 'A backing service (PostgreSQL or Redis) is unavailable; nothing was changed. Retry shortly.' });
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ detail: error.message });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ detail: 'Internal server error.' });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ detail: `No route for ${request.method} ${request.url.split('?')[0]}.` }),
  );
}

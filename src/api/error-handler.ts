import type { FastifyError, FastifyInstance } from 'fastify';
import { DomainError } from '../domain/errors.js';
import { isUnavailable } from './unavailable.js';
import { SchemaValidationError, validationItems, type ValidationErrorItem } from './validation.js';

export type { ValidationErrorItem };

export const HTTP_STATUS_OF: Record<DomainError['kind'], number> = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

const LOCATION_OF: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

const bodyError = (msg: string, type: string) => ({ detail: [{ loc: ['body'], msg, type }] });

/** A request value checked outside the route schema; answers 422 like schema failures. */
export class RequestValidationError extends Error {
  constructor(readonly items: ValidationErrorItem[]) {
    super(items.map((item) => item.msg).join('; '));
  }
}

/** The one place where failures become HTTP answers; nothing leaks a stack trace. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof SchemaValidationError) {
      const context = error.validationContext ?? 'body';
      return reply.code(422).send({ detail: validationItems(error.issues, [LOCATION_OF[context] ?? context], context === 'body') });
    }
    if (error instanceof RequestValidationError) return reply.code(422).send({ detail: error.items });
    if (error instanceof DomainError) {
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
    if (isUnavailable(error)) {
      request.log.warn({ err: error }, 'dependency unavailable');
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

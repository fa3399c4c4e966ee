import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { failedDependency, isConnectionFailure, type DependencyMonitor } from '../dependencies.js';
import { DomainError, InvalidField, UNAVAILABLE_DETAIL, type ErrorKind } from '../domain/errors.js';
import type { AllowedMethods } from './method-not-allowed.js';
import { SchemaValidationError, truncated, validationItems, type ValidationErrorItem } from './validation.js';

export const HTTP_STATUS_OF: Record<ErrorKind, number> = {
  bad_request: 400,
  invalid_field: 422,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  // Stored data that breaks an invariant, or code that breaks one of its own rules: the
  // server's fault, not the caller's.
  invalid_data: 500,
  internal: 500,
};

const LOCATION_OF: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

const bodyError = (msg: string, type: string) => ({ detail: [{ loc: ['body'], msg, type }] });

/** A request value checked outside the route schema; answers 422 like schema failures. */
export class RequestValidationError extends Error {
  constructor(readonly items: ValidationErrorItem[]) {
    super(items.map((item) => item.msg).join('; '));
  }
}

/** The caller sent more requests than its rate limit allows; `Retry-After` is already set. */
export class TooManyRequests extends Error {
  constructor(retryAfterSeconds: number) {
    super(`Too many requests: retry in ${retryAfterSeconds} s.`);
  }
}

/** Body types the API parses; anything else answers 415. */
const ACCEPTED_BODY_TYPES = 'application/json (and text/csv or application/x-ndjson for POST /campaigns/{id}/targets)';

/**
 * Fastify's own errors, each as one sentence that never echoes the request (a path, a header or
 * a content type may be long or hostile).
 */
const FRAMEWORK_ERRORS: Record<string, { status: number; detail: string } | { status: 422; body: ReturnType<typeof bodyError> }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 422, body: bodyError('JSON decode error: the body is not valid JSON.', 'json_invalid') },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 422, body: bodyError('Field required', 'missing') },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, detail: 'The request body is too large.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, detail: `Unsupported body type: send ${ACCEPTED_BODY_TYPES}.` },
  FST_ERR_CTP_INVALID_TYPE: { status: 415, detail: `The Content-Type header is not valid: send ${ACCEPTED_BODY_TYPES}.` },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, detail: 'The request body does not match its Content-Length header.' },
  FST_ERR_BAD_URL: { status: 400, detail: 'The URL is not valid: it has a malformed percent-encoding.' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, detail: 'A path parameter is too long (more than 100 characters).' },
};

function sendFrameworkError(error: FastifyError, reply: FastifyReply): FastifyReply | undefined {
  const known = FRAMEWORK_ERRORS[error.code];
  if (!known) return undefined;
  return reply.code(known.status).send('body' in known ? known.body : { detail: known.detail });
}

const MAX_ECHOED_PATH = 100;

/** The one place where failures become HTTP answers; nothing leaks a stack trace. */
export function registerErrorHandling(app: FastifyInstance, allowed: AllowedMethods, monitor: DependencyMonitor): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof SchemaValidationError) {
      const context = error.validationContext ?? 'body';
      return reply.code(422).send({ detail: validationItems(error.issues, [LOCATION_OF[context] ?? context], context === 'body') });
    }
    if (error instanceof RequestValidationError) return reply.code(422).send({ detail: error.items });
    if (error instanceof InvalidField) return reply.code(422).send({ detail: [{ loc: error.loc, msg: error.detail, type: error.type }] });
    if (error instanceof DomainError && error.kind !== 'invalid_data' && error.kind !== 'internal') {
      return reply.code(HTTP_STATUS_OF[error.kind]).send({ detail: error.detail });
    }
    if (error instanceof TooManyRequests) return reply.code(429).send({ detail: error.message });
    const framework = sendFrameworkError(error, reply);
    if (framework) return framework;
    if (isConnectionFailure(error)) {
      // A command refused by an offline Redis says so (its connections report the outage too,
      // not always first); anything else failing to connect here is PostgreSQL outside the
      // monitored `Db`. The outage is logged once by the monitor, not per request.
      const dependency = failedDependency(error);
      if (dependency === 'redis' || !monitor.isDown('redis')) monitor.down(dependency, error);
      request.log.debug({ err: error }, 'dependency unavailable');
      return reply.code(503).send({ detail: UNAVAILABLE_DETAIL });
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      request.log.info({ err: error }, 'request refused by the framework');
      const detail = error.message.length > 0 && error.message.length <= 200 ? error.message : `The request was refused (HTTP ${error.statusCode}).`;
      return reply.code(error.statusCode).send({ detail });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ detail: 'Internal server error.' });
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const methods = allowed.on(path);
    // A route that exists for this method but found nothing (a static file) is a plain 404.
    if (methods.length > 0 && !methods.includes(request.method)) {
      return reply
        .code(405)
        .header('allow', methods.join(', '))
        .send({ detail: `Method ${request.method} is not allowed here; use ${methods.join(', ')}.` });
    }
    const shown = truncated(path, MAX_ECHOED_PATH);
    return reply.code(404).send({ detail: `No route for ${request.method} ${shown}.` });
  });
}

/** Errors Fastify raises before a request reaches the router (bad URL, path parameter too long). */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  if (!sendFrameworkError(error, reply)) reply.code(400).send({ detail: 'The request is malformed.' });
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'The request took too long to arrive.'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'The request headers are too large.'],
};

/**
 * Requests that Node's HTTP parser refuses (a malformed Content-Length, invalid header bytes,
 * oversized headers) never reach Fastify: answer them on the socket in the same `{detail}` shape.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, detail] = CLIENT_ERRORS[error.code ?? ''] ?? [
    400,
    'Bad Request',
    'The request is malformed HTTP (a header or the Content-Length is not valid).',
  ];
  const body = JSON.stringify({ detail });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** A `{detail}` answer written on Node's own response object, for requests Fastify never sees. */
function sendRaw(response: ServerResponse, status: number, detail: string): void {
  const body = JSON.stringify({ detail });
  // The request's body is never read: the connection closes so that it cannot be taken for the next request.
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
  response.end(body);
}

/**
 * Two HTTP/1.1 rules Node's server enforces itself with empty answers, answered here in the
 * `{detail}` shape: a request without Host (RFC 9112 §3.2: 400; Node's own check,
 * `requireHostHeader`, is turned off in buildServer so that this hook answers instead), and an
 * Expect header other than 100-continue (RFC 9110 §10.1.1: 417; Node emits `checkExpectation`).
 */
export function registerHttpRuleErrors(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      return reply.code(400).header('connection', 'close').send({ detail: 'The Host header is required in HTTP/1.1 requests.' });
    }
    return undefined;
  });
  app.server.on('checkExpectation', (_request, response: ServerResponse) => {
    sendRaw(response, 417, 'The Expect header is not supported: only "Expect: 100-continue" is.');
  });
}

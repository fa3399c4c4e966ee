import type { FastifyRequest } from 'fastify';
import { RequestValidationError } from './error-handler.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The optional Idempotency-Key header of the lifecycle commands and the target events, read from
 * the headers rather than validated by the route schemas: the lifecycle routes document the
 * execution contract's parameters (docs/execution-contract.openapi.json) exactly, and every
 * route refuses a bad key alike.
 */
export function idempotencyKeyOf(headers: FastifyRequest['headers']): string | undefined {
  const key = headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key === 'string' && IDEMPOTENCY_KEY.test(key)) return key;
  throw new RequestValidationError([{ loc: ['header', 'Idempotency-Key'], msg: 'must be 1 to 255 visible ASCII characters', type: 'string_pattern_mismatch' }]);
}

import type { FastifyRequest } from 'fastify';
import { decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { z } from 'zod';
import type { CredentialResolver } from '../services/credentials.js';
import { Unauthorized } from '../domain/errors.js';
import type { Caller } from '../services/caller.js';
import { apiKeyBudget, jwtBudget } from './rate-limit.js';
import { guid } from './schemas/common.js';
import { checkedString } from './schemas/input-checks.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}

// Uuids are compared in lower case everywhere: the claim is normalized here, at the boundary.
// The subject ends up in the audit log (`jwt:<sub>`): it must be storable text.
const orgClaim = z.object({ org: guid(), sub: checkedString(() => 255).optional() });

interface Identified {
  caller: Caller;
  /** Whose rate-limit budget the request spends. */
  budget: string;
}

/** Clocks of issuers and of this API may differ by this much (seconds) on `exp`, `nbf` and `iat`. */
const CLOCK_TOLERANCE_SECONDS = 30;

/** One sentence naming what is wrong with a token jose refused; never which secret was tried. */
function refusal(error: unknown, maxAgeSeconds: number): Unauthorized {
  if (error instanceof joseErrors.JWTExpired) {
    return new Unauthorized(
      error.claim === 'iat'
        ? `The bearer token is too old: it was issued (its "iat") more than the maximum token age of ${maxAgeSeconds} s ago.`
        : 'The bearer token has expired.',
    );
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.reason === 'missing')
      return new Unauthorized('The bearer token must say when it was issued (an "iat" claim) or when it expires (an "exp" claim).');
    if (error.reason === 'invalid') return new Unauthorized(`The bearer token's "${error.claim}" claim must be a number of seconds since 1970-01-01.`);
    if (error.claim === 'iat') return new Unauthorized('The bearer token was issued in the future (its "iat" is later than now).');
    if (error.claim === 'nbf') return new Unauthorized('The bearer token is not valid yet (its "nbf" is later than now).');
  }
  return new Unauthorized('The bearer token is invalid.');
}

export function createAuthenticator(credentials: CredentialResolver, jwt: { secret: string; maxAgeSeconds: number }) {
  const key = new TextEncoder().encode(jwt.secret);
  const { maxAgeSeconds } = jwt;

  /**
   * jose's checks of a token's age: with an `iat`, at most the maximum age; without one, an `exp`
   * is required (its distance from now is checked after). Read from the token before its
   * signature is verified only to choose the checks: jwtVerify verifies the signature first.
   */
  function ageChecks(token: string): JWTVerifyOptions {
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch {
      return {}; // not a JWT: jwtVerify says so
    }
    return claims.iat === undefined ? { requiredClaims: ['exp'] } : { maxTokenAge: maxAgeSeconds };
  }

  /** A token may not live longer than the maximum age: `exp` at most that long after its `iat`, or after now without one. */
  function checkLifetime({ iat, exp }: JWTPayload): void {
    if (exp === undefined) return;
    const lifetime = iat === undefined ? exp - Date.now() / 1000 - CLOCK_TOLERANCE_SECONDS : exp - iat;
    if (lifetime > maxAgeSeconds) {
      throw new Unauthorized(
        `The bearer token lives longer than the maximum token age of ${maxAgeSeconds} s allows: its "exp" is more than that after ${iat === undefined ? 'now' : 'its "iat"'}.`,
      );
    }
  }

  async function fromBearer(token: string): Promise<Identified> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'], clockTolerance: CLOCK_TOLERANCE_SECONDS, ...ageChecks(token) }));
    } catch (error) {
      throw refusal(error, maxAgeSeconds);
    }
    checkLifetime(payload);
    const claims = orgClaim.safeParse(payload);
    if (!claims.success) {
      throw new Unauthorized(
        claims.error.issues.some((issue) => issue.path[0] === 'sub')
          ? 'The bearer token\'s "sub" claim must be text of at most 255 characters.'
          : 'The bearer token has no valid "org" claim (an organization id).',
      );
    }
    if (!(await credentials.organizationExists(claims.data.org))) {
      throw new Unauthorized('The bearer token names an organization that does not exist.');
    }
    const { org, sub } = claims.data;
    return { caller: { organizationId: org, actor: `jwt:${sub ?? org}` }, budget: jwtBudget(org, sub) };
  }

  async function fromApiKey(apiKey: string): Promise<Identified> {
    const owner = await credentials.ownerOfApiKey(apiKey);
    if (!owner) throw new Unauthorized('The API key is invalid or revoked.');
    return { caller: { organizationId: owner.organizationId, actor: `api_key:${apiKey.slice(0, 10)}` }, budget: apiKeyBudget(owner.keyHash) };
  }

  function identify(request: FastifyRequest, identified: Identified): void {
    request.caller = identified.caller;
    request.rateLimitKey = identified.budget;
  }

  /** onRequest hook: identifies the caller before anything else runs. */
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const apiKey = request.headers['x-api-key'];
    const authorization = request.headers.authorization;
    if (typeof apiKey === 'string' && apiKey.length > 0) {
      identify(request, await fromApiKey(apiKey));
      return;
    }
    const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (bearer) {
      identify(request, await fromBearer(bearer));
      return;
    }
    throw new Unauthorized(
      authorization
        ? 'Unsupported Authorization scheme; use "Bearer <JWT>".'
        : 'Missing credentials: send an X-API-Key header or an Authorization: Bearer <JWT> header.',
    );
  };
}

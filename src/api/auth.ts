import type { FastifyRequest } from 'fastify';
import { errors as joseErrors, jwtVerify } from 'jose';
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

export function createAuthenticator(credentials: CredentialResolver, jwtSecret: string) {
  const key = new TextEncoder().encode(jwtSecret);

  async function fromBearer(token: string): Promise<Identified> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'] }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new Unauthorized('The bearer token has expired.');
      throw new Unauthorized('The bearer token is invalid.');
    }
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

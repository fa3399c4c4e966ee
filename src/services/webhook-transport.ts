import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { hostOf, isPublicAddress, type AttemptResult } from '../domain/webhooks.js';

/** Bytes of a receiver's answer read at most: only its status counts. */
const RESPONSE_BYTES_READ = 4_096;

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | Array<{ address: string; family: number }>, family?: number) => void;

/**
 * Name resolution that keeps public addresses only, checked where the connection is made: a
 * name that resolved to a public address when the endpoint was registered and to a private one
 * now (DNS rebinding) is refused.
 */
function publicLookup(hostname: string, options: { family?: number | string; all?: boolean }, callback: LookupCallback): void {
  lookup(hostname, { family: Number(options.family ?? 0) as 0 | 4 | 6, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const allowed = addresses.filter((entry) => isPublicAddress(entry.address));
    if (allowed.length === 0) return callback(Object.assign(new Error(`${hostname} resolves to no public address`), { code: 'EPRIVATE' }), []);
    if (options.all) return callback(null, allowed);
    return callback(null, allowed[0]!.address, allowed[0]!.family);
  });
}

export interface WebhookTransport {
  send(url: string, body: string, headers: Record<string, string>): Promise<AttemptResult>;
  close(): Promise<void>;
}

/**
 * POSTs deliveries: no redirect followed (a 3xx is a failed attempt), at most `timeoutMs` for the
 * whole exchange (connection, headers, what is read of the body), at most 4 KB of the answer
 * read. Without `allowPrivate`, only public addresses are connected to.
 */
export function createWebhookTransport(options: { timeoutMs: number; allowPrivate: boolean }): WebhookTransport {
  const agent = new Agent({
    connect: { timeout: options.timeoutMs, ...(options.allowPrivate ? {} : { lookup: publicLookup as never }) },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  return {
    async send(url, body, headers) {
      // An address in the URL is connected to without a lookup: it is checked here.
      const host = hostOf(url);
      if (!options.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) return { error: 'EPRIVATE' };
      try {
        const response = await request(url, { method: 'POST', body, headers, dispatcher: agent, signal: AbortSignal.timeout(options.timeoutMs) });
        let read = 0;
        for await (const chunk of response.body) {
          read += (chunk as Buffer).length;
          if (read >= RESPONSE_BYTES_READ) break;
        }
        response.body.destroy();
        return { status: response.statusCode };
      } catch (error) {
        const failure = error as Error & { code?: string };
        return { error: failure.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : (failure.code ?? failure.message).slice(0, 200) };
      }
    },
    close: () => agent.close(),
  };
}

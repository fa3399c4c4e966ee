import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown> & { sequence: number };
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * An HTTP receiver for webhook tests: verifies every request with the Standard Webhooks
 * reference library (`standardwebhooks`), never with the system's own signing code, and
 * answers what `answer` says (200 by default). Verified deliveries are kept in arrival order;
 * requests that fail verification are counted apart.
 */
export async function startWebhookReceiver() {
  const received: Received[] = [];
  const rejected: string[] = [];
  let secrets: string[] = [];
  let answer: (request: number) => number = () => 200;
  let delay: (request: number) => number = () => 0;
  let requests = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const number = ++requests;
      const status = answer(number);
      const wait = delay(number);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const headers = request.headers as Record<string, string>;
      const verified = secrets.some((secret) => {
        try {
          new Webhook(secret).verify(body, headers);
          return true;
        } catch {
          return false;
        }
      });
      if (!verified) rejected.push(body);
      else if (status >= 200 && status < 300) {
        const parsed = JSON.parse(body) as Omit<Received, 'id' | 'headers' | 'body'>;
        received.push({ ...parsed, id: headers['webhook-id']!, headers: request.headers, body });
      }
      response.writeHead(status).end(status === 410 ? 'gone' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return {
    url,
    received,
    rejected,
    /** The secrets a delivery may be verified with (any one must verify it). */
    trust(...list: string[]) {
      secrets = list;
    },
    /** The status of the n-th request (from 1). */
    answerWith(status: (request: number) => number) {
      answer = status;
    },
    /** How long the n-th request waits for its answer, in ms. */
    delayWith(ms: (request: number) => number) {
      delay = ms;
    },
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections of the system's HTTP client, and requests still held, end now.
        server.closeAllConnections();
      }),
  };
}

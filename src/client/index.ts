/**
 * A typed HTTP client of the API, for the processes that create, start and resume campaigns:
 * openapi-fetch calls typed by src/client/openapi.ts, which `npm run generate:client` writes from
 * the document the API serves (GET /openapi.json). Every path, parameter and body is typed;
 * each call answers `{ data, error, response }` (docs/sdk.md).
 */
import createClient, { mergeHeaders, type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './openapi.js';

export type { components, operations, paths } from './openapi.js';

export type CampaignClient = Client<paths>;
export type Schemas = components['schemas'];

/** The organization's credentials: an API key, or a JWT (HS256, claim `org`). */
export type Credentials = { apiKey: string; token?: never } | { token: string; apiKey?: never };

export type CampaignClientOptions = Omit<ClientOptions, 'baseUrl'> & Credentials & { baseUrl: string };

export function createCampaignClient(options: CampaignClientOptions): CampaignClient {
  const { apiKey, token, headers, ...rest } = options;
  const credentials = apiKey !== undefined ? { 'X-API-Key': apiKey } : { Authorization: `Bearer ${token}` };
  return createClient<paths>({ ...rest, headers: mergeHeaders(headers, credentials) });
}

export type Command = Schemas['CommandOut'];

export interface CommandWaitOptions {
  /** How often to ask (default 500 ms). */
  intervalMs?: number;
  /** How long to wait in all (default 5 minutes); past it the promise rejects. */
  timeoutMs?: number;
}

const FINISHED: ReadonlySet<Command['status']> = new Set(['succeeded', 'rejected', 'failed']);

/**
 * Waits for a lifecycle command that answered 202 (the worker took longer than the API waits):
 * polls GET /commands/{command_id} until it has finished. `result` then holds the status code
 * and body the command would have answered with; status `failed` means nothing was applied.
 */
export async function waitForCommand(client: CampaignClient, commandId: string, options: CommandWaitOptions = {}): Promise<Command> {
  const { intervalMs = 500, timeoutMs = 300_000 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { data, error, response } = await client.GET('/commands/{command_id}', { params: { path: { command_id: commandId } } });
    if (!data) throw new Error(`GET /commands/${commandId} answered ${response.status}: ${JSON.stringify(error)}`);
    if (FINISHED.has(data.status)) return data;
    if (Date.now() + intervalMs > deadline) throw new Error(`command ${commandId} still ${data.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

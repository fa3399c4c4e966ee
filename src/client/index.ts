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
export type Command = Schemas['CommandOut'];

/** The organization's credentials: an API key, or a JWT (HS256, claim `org`). */
export type Credentials = { apiKey: string; token?: never } | { token: string; apiKey?: never };

export type CampaignClientOptions = Omit<ClientOptions, 'baseUrl'> & Credentials & { baseUrl: string };

export function createCampaignClient(options: CampaignClientOptions): CampaignClient {
  const { apiKey, token, headers, ...rest } = options;
  const credentials = apiKey !== undefined ? { 'X-API-Key': apiKey } : { Authorization: `Bearer ${token}` };
  return createClient<paths>({ ...rest, headers: mergeHeaders(headers, credentials) });
}

export interface CommandWaitOptions {
  /** How often to ask (default 500 ms). */
  intervalMs?: number;
  /** How long to wait in all (default 5 minutes); past it the promise rejects. */
  timeoutMs?: number;
}

/** A lifecycle command the API refused (or that could not be applied): its status code and detail. */
export class CommandRefused extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
  ) {
    super(`the command answered ${status}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`);
    this.name = 'CommandRefused';
  }
}

const detailOf = (body: unknown) => (body && typeof body === 'object' && 'detail' in body ? body.detail : body);

const FINISHED: ReadonlySet<Command['status']> = new Set(['succeeded', 'rejected', 'failed']);

/** Polls GET /commands/{command_id} until the command has finished, and answers it. */
export async function waitForCommand(client: CampaignClient, commandId: string, options: CommandWaitOptions = {}): Promise<Command> {
  const { intervalMs = 500, timeoutMs = 300_000 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { data, error, response } = await client.GET('/commands/{command_id}', { params: { path: { command_id: commandId } } });
    if (!data) throw new CommandRefused(response.status, detailOf(error));
    if (FINISHED.has(data.status)) return data;
    if (Date.now() + intervalMs > deadline) throw new Error(`command ${commandId} still ${data.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * The answer of a lifecycle command (start, pause, resume, complete) once it is applied: the
 * campaign (or the resume's counts) it answered 200 with, also when it first answered 202 because
 * the worker took longer than the API waits (it then polls GET /commands/{command_id}). Rejects
 * with CommandRefused for any other answer, e.g. 409 for a transition the lifecycle refuses, or
 * 503 when nothing could be applied.
 */
export async function applied<T>(client: CampaignClient, answer: { data?: T; error?: unknown; response: Response }, options?: CommandWaitOptions): Promise<T> {
  const { status } = answer.response;
  if (status === 200) return answer.data as T;
  if (status !== 202) throw new CommandRefused(status, detailOf(answer.error));
  // The execution contract documents 200 only, so a 202's body is typed as the campaign.
  const { command_id } = answer.data as unknown as Schemas['CommandAccepted'];
  const { result } = await waitForCommand(client, command_id, options);
  if (result?.status_code === 200) return result.body as T;
  throw new CommandRefused(result?.status_code ?? 503, detailOf(result?.body) ?? 'The command could not be applied; nothing was changed.');
}

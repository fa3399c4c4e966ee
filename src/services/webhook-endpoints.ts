import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import {
  deleteEndpoint,
  findEndpoint,
  insertEndpoint,
  listEndpoints,
  rotateSecret,
  updateEndpoint,
  type EndpointChange,
  type WebhookEndpoint,
} from '../db/repositories/webhook-endpoints.js';
import { listDeliveries, replayDeliveries, type DeliveryView } from '../db/repositories/webhook-events.js';
import type { Page, PageRequest } from '../db/pagination.js';
import { InvalidField, NotFound } from '../domain/errors.js';
import { hostOf, isPublicAddress, SECRET_PREFIX, urlProblem } from '../domain/webhooks.js';
import { enqueueDeliveries } from './after-commit.js';
import type { ServiceDeps } from './deps.js';

type Deps = Pick<ServiceDeps, 'db' | 'queues' | 'clock' | 'settings'>;

/** How long a rotated-out secret keeps signing beside the new one. */
export const PREVIOUS_SECRET_MS = 24 * 3_600_000;

const newSecret = () => `${SECRET_PREFIX}${randomBytes(24).toString('base64')}`;

/** Refuses a URL that is not https, or (without WEBHOOK_ALLOW_PRIVATE_URLS) whose name resolves to a private address. */
async function checkUrl(deps: Pick<Deps, 'settings'>, url: string): Promise<void> {
  const { allowPrivateUrls } = deps.settings.webhooks;
  const problem = urlProblem(url, allowPrivateUrls);
  if (problem) throw new InvalidField(['body', 'url'], problem, 'url_not_allowed');
  if (allowPrivateUrls) return;
  const host = hostOf(url);
  const addresses = await lookup(host, { all: true }).catch(() => null);
  if (!addresses || addresses.length === 0) throw new InvalidField(['body', 'url'], `its host ${host} does not resolve`, 'url_not_allowed');
  if (!addresses.every((entry) => isPublicAddress(entry.address)))
    throw new InvalidField(['body', 'url'], 'must resolve to a public address', 'url_not_allowed');
}

export async function createWebhookEndpoint(
  deps: Deps,
  organizationId: string,
  input: { url: string; events: string[]; description: string | null },
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  await checkUrl(deps, input.url);
  const secret = newSecret();
  const endpoint = await insertEndpoint(
    deps.db.sql,
    organizationId,
    { url: input.url, events: input.events, description: input.description, secretSealed: deps.settings.webhooks.secrets.seal(secret) },
    deps.clock(),
  );
  return { endpoint, secret };
}

export async function webhookEndpointOf(deps: Pick<Deps, 'db'>, organizationId: string, id: string): Promise<WebhookEndpoint> {
  const endpoint = await findEndpoint(deps.db.sql, organizationId, id);
  if (!endpoint) throw new NotFound('Webhook endpoint not found.');
  return endpoint;
}

export const webhookEndpointsOf = (deps: Pick<Deps, 'db'>, organizationId: string, page: PageRequest): Promise<Page<WebhookEndpoint>> =>
  listEndpoints(deps.db.sql, organizationId, page);

export async function changeWebhookEndpoint(deps: Deps, organizationId: string, id: string, change: EndpointChange): Promise<WebhookEndpoint> {
  if (change.url !== undefined) await checkUrl(deps, change.url);
  const endpoint = await updateEndpoint(deps.db.sql, organizationId, id, change, deps.clock());
  if (!endpoint) throw new NotFound('Webhook endpoint not found.');
  return endpoint;
}

export async function removeWebhookEndpoint(deps: Pick<Deps, 'db'>, organizationId: string, id: string): Promise<WebhookEndpoint> {
  const removed = await deleteEndpoint(deps.db.sql, organizationId, id);
  if (!removed) throw new NotFound('Webhook endpoint not found.');
  return removed;
}

/** A new secret, shown once; the current one keeps signing beside it for 24 hours. */
export async function rotateWebhookSecret(deps: Deps, organizationId: string, id: string): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const secret = newSecret();
  const now = deps.clock();
  const endpoint = await rotateSecret(
    deps.db.sql,
    organizationId,
    id,
    deps.settings.webhooks.secrets.seal(secret),
    new Date(now.getTime() + PREVIOUS_SECRET_MS),
    now,
  );
  if (!endpoint) throw new NotFound('Webhook endpoint not found.');
  return { endpoint, secret };
}

export async function webhookDeliveriesOf(
  deps: Pick<Deps, 'db'>,
  organizationId: string,
  id: string,
  filter: { status?: string | undefined },
  page: PageRequest,
): Promise<Page<DeliveryView>> {
  await webhookEndpointOf(deps, organizationId, id);
  return listDeliveries(deps.db.sql, id, filter, page);
}

/** Delivers again one event of the organization, or every event since a time the endpoint takes; returns how many. */
export async function replayWebhookEvents(deps: Deps, organizationId: string, id: string, what: { eventId: string } | { since: Date }): Promise<number> {
  const endpoint = await webhookEndpointOf(deps, organizationId, id);
  const now = deps.clock();
  const deliveries = await replayDeliveries(deps.db.sql, endpoint, what, now);
  if ('eventId' in what && deliveries.length === 0) throw new NotFound('Webhook event not found.');
  await enqueueDeliveries(deps, deliveries, now, now);
  return deliveries.length;
}

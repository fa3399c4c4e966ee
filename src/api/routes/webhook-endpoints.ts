import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  changeWebhookEndpoint,
  createWebhookEndpoint,
  removeWebhookEndpoint,
  replayWebhookEvents,
  rotateWebhookSecret,
  webhookDeliveriesOf,
  webhookEndpointOf,
  webhookEndpointsOf,
} from '../../services/webhook-endpoints.js';
import type { ApiDeps } from '../context.js';
import { errorResponses, json } from '../openapi/responses.js';
import { webhookDeliveryView, webhookEndpointView } from '../presenters.js';
import { CursorQuery, page } from '../schemas/common.js';
import {
  WebhookDeliveryOut,
  WebhookDeliveryQuery,
  WebhookEndpointCreated,
  WebhookEndpointIn,
  WebhookEndpointOut,
  WebhookEndpointParams,
  WebhookEndpointUpdate,
  WebhookReplayed,
  WebhookReplayIn,
  WebhookSecretRotated,
} from '../schemas/webhooks.js';

const tags = ['webhooks'];

/** The organization's webhook endpoints (docs/webhooks.md): registration, secrets, deliveries, replay. */
export const webhookEndpointRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { deps }) => {
  app.post(
    '/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'Register an endpoint; the answer shows its signing secret, once',
        operationId: 'create_webhook_endpoint',
        body: WebhookEndpointIn,
        response: { 201: json(WebhookEndpointCreated, 'The endpoint, with its secret.'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { endpoint, secret } = await createWebhookEndpoint(deps, request.caller.organizationId, {
        url: request.body.url,
        events: request.body.events,
        description: request.body.description ?? null,
      });
      return reply.code(201).send({ ...webhookEndpointView(endpoint), secret });
    },
  );

  app.get(
    '/webhook-endpoints',
    {
      schema: {
        tags,
        summary: "The organization's endpoints, oldest first",
        operationId: 'list_webhook_endpoints',
        querystring: CursorQuery,
        response: { 200: json(page(WebhookEndpointOut), 'A page of endpoints.'), ...errorResponses },
      },
    },
    async (request) => {
      const result = await webhookEndpointsOf(deps, request.caller.organizationId, request.query);
      return { items: result.items.map(webhookEndpointView), next_cursor: result.nextCursor };
    },
  );

  app.get(
    '/webhook-endpoints/:endpoint_id',
    {
      schema: {
        tags,
        summary: 'One endpoint',
        operationId: 'get_webhook_endpoint',
        params: WebhookEndpointParams,
        response: { 200: json(WebhookEndpointOut, 'The endpoint.'), ...errorResponses },
      },
    },
    async (request) => webhookEndpointView(await webhookEndpointOf(deps, request.caller.organizationId, request.params.endpoint_id)),
  );

  app.patch(
    '/webhook-endpoints/:endpoint_id',
    {
      schema: {
        tags,
        summary: 'Change an endpoint: its URL, events, description; disable or enable it',
        operationId: 'update_webhook_endpoint',
        params: WebhookEndpointParams,
        body: WebhookEndpointUpdate,
        response: { 200: json(WebhookEndpointOut, 'The endpoint as changed.'), ...errorResponses },
      },
    },
    async (request) =>
      webhookEndpointView(
        await changeWebhookEndpoint(deps, request.caller.organizationId, request.params.endpoint_id, {
          ...(request.body.url === undefined ? {} : { url: request.body.url }),
          ...(request.body.events === undefined ? {} : { events: request.body.events }),
          ...(request.body.description === undefined ? {} : { description: request.body.description }),
          ...(request.body.enabled === undefined ? {} : { enabled: request.body.enabled }),
        }),
      ),
  );

  app.delete(
    '/webhook-endpoints/:endpoint_id',
    {
      schema: {
        tags,
        summary: 'Delete an endpoint and its deliveries',
        operationId: 'delete_webhook_endpoint',
        params: WebhookEndpointParams,
        response: { 200: json(WebhookEndpointOut, 'The endpoint deleted.'), ...errorResponses },
      },
    },
    async (request) => webhookEndpointView(await removeWebhookEndpoint(deps, request.caller.organizationId, request.params.endpoint_id)),
  );

  app.post(
    '/webhook-endpoints/:endpoint_id/rotate-secret',
    {
      schema: {
        tags,
        summary: 'A new signing secret; the current one keeps signing beside it for 24 hours',
        operationId: 'rotate_webhook_secret',
        params: WebhookEndpointParams,
        response: { 200: json(WebhookSecretRotated, 'The new secret, shown once.'), ...errorResponses },
      },
    },
    async (request) => {
      const { endpoint, secret } = await rotateWebhookSecret(deps, request.caller.organizationId, request.params.endpoint_id);
      return { secret, previous_secret_expires_at: endpoint.previousSecretExpiresAt!.toISOString() };
    },
  );

  app.get(
    '/webhook-endpoints/:endpoint_id/deliveries',
    {
      schema: {
        tags,
        summary: "The endpoint's deliveries, oldest first: status, attempts, last answer, next attempt",
        operationId: 'list_webhook_deliveries',
        params: WebhookEndpointParams,
        querystring: WebhookDeliveryQuery,
        response: { 200: json(page(WebhookDeliveryOut), 'A page of deliveries.'), ...errorResponses },
      },
    },
    async (request) => {
      const { status, ...pageRequest } = request.query;
      const result = await webhookDeliveriesOf(deps, request.caller.organizationId, request.params.endpoint_id, { status }, pageRequest);
      return { items: result.items.map(webhookDeliveryView), next_cursor: result.nextCursor };
    },
  );

  app.post(
    '/webhook-endpoints/:endpoint_id/replay',
    {
      schema: {
        tags,
        summary: 'Deliver again one event, or every event since a time',
        operationId: 'replay_webhook_events',
        params: WebhookEndpointParams,
        body: WebhookReplayIn,
        response: { 202: json(WebhookReplayed, 'Deliveries queued.'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const what = request.body.event_id ? { eventId: request.body.event_id } : { since: new Date(request.body.since!) };
      const replayed = await replayWebhookEvents(deps, request.caller.organizationId, request.params.endpoint_id, what);
      return reply.code(202).send({ replayed });
    },
  );
};

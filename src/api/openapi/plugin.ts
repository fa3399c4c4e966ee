import swagger, { type SwaggerTransformObject } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import { z } from 'zod';
import { webhookEventBodies } from '../schemas/webhooks.js';
import { componentSchemas, routeJsonSchema } from './json-schema.js';

type JsonObject = Record<string, unknown>;

/** Header names as the execution contract (docs/execution-contract.openapi.json) spells them; Fastify sees headers lower-cased. */
const CANONICAL_HEADER_NAMES: Record<string, string> = { 'x-api-key': 'X-API-Key', 'idempotency-key': 'Idempotency-Key' };

const SECURITY_SCHEMES = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'Use a JWT bearer token in the Authorization header.',
  },
  apiKeyAuth: {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'Use an API key for server-to-server integrations.',
  },
} as const;

const PARAMETER_ORDER = ['path', 'query', 'header', 'cookie'];

function renameHeaders(schema: JsonObject): JsonObject {
  const properties = (schema.properties ?? {}) as JsonObject;
  const renamed = Object.fromEntries(Object.entries(properties).map(([name, value]) => [CANONICAL_HEADER_NAMES[name] ?? name, value]));
  const required = ((schema.required ?? []) as string[]).map((name) => CANONICAL_HEADER_NAMES[name] ?? name);
  return { ...schema, properties: renamed, ...(required.length ? { required } : {}) };
}

function transformResponse(response: unknown): unknown {
  if (response instanceof z.ZodType) return routeJsonSchema(response);
  const documented = response as { description: string; content: Record<string, { schema: z.ZodType }> };
  return {
    description: documented.description,
    content: Object.fromEntries(Object.entries(documented.content).map(([type, { schema }]) => [type, { schema: routeJsonSchema(schema) }])),
  };
}

const JSON_TYPE = 'application/json';

/**
 * A body schema per media type. `consumes` lists the media types a route parses itself (CSV,
 * NDJSON) besides JSON: those are documented as text, and the zod schema, which validates what
 * every parser produces, documents JSON.
 */
function requestBody(body: z.ZodType, consumes: string[] | undefined): JsonObject {
  const schema = routeJsonSchema(body);
  if (!consumes) return schema;
  const text = { type: 'string', description: 'The rows as a text document of this media type.' };
  return { content: Object.fromEntries(consumes.map((type) => [type, { schema: type === JSON_TYPE ? schema : text }])) };
}

/** Route schemas are zod; @fastify/swagger wants JSON Schema. */
function transformRouteSchema({ schema, url }: { schema: FastifySchema; url: string }) {
  if (!schema) return { schema, url };
  const { params, querystring, headers, body, response, consumes, ...rest } = schema as Record<string, unknown>;
  const converted: JsonObject = { ...rest };
  if (params) converted.params = routeJsonSchema(params as z.ZodType);
  if (querystring) converted.querystring = routeJsonSchema(querystring as z.ZodType);
  if (headers) converted.headers = renameHeaders(routeJsonSchema(headers as z.ZodType));
  if (body) converted.body = requestBody(body as z.ZodType, consumes as string[] | undefined);
  if (response) {
    converted.response = Object.fromEntries(Object.entries(response as JsonObject).map(([code, value]) => [code, transformResponse(value)]));
  }
  return { schema: converted as FastifySchema, url };
}

/**
 * The OpenAPI 3.1 `webhooks` section: one operation per event type, its body a component schema
 * (docs/webhooks.md). Receivers answer 2xx; anything else is retried.
 */
function webhookOperations(): Record<string, OpenAPIV3_1.PathItemObject> {
  return Object.fromEntries(
    webhookEventBodies.map(({ type, summary, schema }) => [
      type,
      {
        post: {
          summary,
          operationId: `webhook_${type.replace('.', '_')}`,
          parameters: ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => ({
            name,
            in: 'header',
            required: true,
            schema: { type: 'string' },
          })),
          requestBody: { required: true, content: { 'application/json': { schema: routeJsonSchema(schema) } } },
          responses: { '200': { description: 'Received (any 2xx); anything else, or no answer within 15 s, is retried.' } },
        },
      },
    ]),
  ) as Record<string, OpenAPIV3_1.PathItemObject>;
}

/**
 * Finishes the document: component schemas from the zod registry, the execution contract's security, and
 * parameters in the execution contract's order (path, query, header). Security is added here rather than
 * in the base document because @fastify/swagger drops header parameters named like a security
 * scheme, and the execution contract lists X-API-Key as a parameter too.
 */
const finishDocument: SwaggerTransformObject = (document) => {
  if (!('openapiObject' in document)) throw new Error('only OpenAPI 3 documents are generated');
  const { openapiObject } = document;
  const paths = (openapiObject.paths ?? {}) as Record<string, Record<string, OpenAPIV3_1.OperationObject>>;
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      const parameters = operation.parameters as OpenAPIV3_1.ParameterObject[] | undefined;
      parameters?.sort((a, b) => PARAMETER_ORDER.indexOf(a.in) - PARAMETER_ORDER.indexOf(b.in));
    }
  }
  return {
    ...openapiObject,
    webhooks: webhookOperations(),
    security: [{ bearerAuth: [] }, { apiKeyAuth: [] }],
    components: {
      ...openapiObject.components,
      securitySchemes: SECURITY_SCHEMES,
      schemas: componentSchemas(),
    },
  } as OpenAPIV3_1.Document;
};

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Campaign Execution API',
        version: '0.1.0',
        description: 'Runs outbound contact campaigns for AI voice agents.',
      },
      // Relative: the API is wherever this document is served from, so one document (and the
      // client generated from it) fits every deployment.
      servers: [{ url: '/', description: 'The server that serves this document' }],
      tags: [
        {
          name: 'campaign-execution',
          description: 'Control lifecycle transitions for campaign execution, such as starting a campaign once its configuration is ready.',
        },
      ],
    },
    transform: transformRouteSchema,
    transformObject: finishDocument,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

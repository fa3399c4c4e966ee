import { webhookEventTypes } from '../../src/domain/webhooks.js';
import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_TYPES_PATH, clientTypes } from '../../scripts/client-types.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';

// The execution contract: start, resume and complete exactly as clients were promised them.
const contract = JSON.parse(readFileSync(new URL('../../docs/execution-contract.openapi.json', import.meta.url), 'utf8'));

type Json = Record<string, unknown>;

/** Names of every component schema reachable from `value` through `$ref`s. */
function referencedSchemas(value: unknown, components: Json, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((item) => referencedSchemas(item, components, found));
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') {
        const name = child.replace('#/components/schemas/', '');
        if (!found.has(name)) {
          found.add(name);
          referencedSchemas(components[name], components, found);
        }
      } else referencedSchemas(child, components, found);
    }
  }
  return found;
}

let t: TestSystem;
let document: Json & { paths: Record<string, Json>; components: { schemas: Json; securitySchemes: Json } };
beforeAll(async () => {
  t = await startTestSystem({}, 'api');
  const response = await t.system.app!.inject({ method: 'GET', url: '/openapi.json' });
  expect(response.statusCode).toBe(200);
  document = response.json();
});
afterAll(() => t?.close());

const contractPaths = Object.entries(contract.paths as Record<string, Json>);

describe('GET /openapi.json', () => {
  it('is OpenAPI 3.1 and served without credentials', () => {
    expect(document.openapi).toBe('3.1.0');
  });

  it('documents every webhook event in its webhooks section, each body a component schema', () => {
    const webhooks = (document as unknown as { webhooks: Record<string, { post: { requestBody: { content: Record<string, { schema: Json }> } } }> }).webhooks;
    expect(Object.keys(webhooks).sort()).toEqual([...webhookEventTypes].sort());
    for (const [type, operation] of Object.entries(webhooks)) {
      const schema = operation.post.requestBody.content['application/json']!.schema as { $ref: string };
      const component = (document.components.schemas as Record<string, { properties: { type: { const: string } } }>)[schema.$ref.split('/').at(-1)!]!;
      expect(component.properties.type.const).toBe(type);
    }
  });

  it('covers the three execution paths of the contract', () => {
    expect(contractPaths.map(([path]) => path).sort()).toEqual([
      '/campaigns/{campaign_id}/complete',
      '/campaigns/{campaign_id}/resume',
      '/campaigns/{campaign_id}/start',
    ]);
  });

  for (const [path, operations] of contractPaths) {
    it(`documents ${path} exactly as the contract`, () => {
      expect(document.paths[path]).toEqual(operations);
    });
  }

  it('defines every schema the contract paths reference exactly as the contract', () => {
    const names = referencedSchemas(contract.paths, contract.components.schemas);
    expect(names.size).toBeGreaterThan(5);
    for (const name of names) expect({ [name]: document.components.schemas[name] }).toEqual({ [name]: contract.components.schemas[name] });
  });

  it('serves the API docs page from the same document', async () => {
    const page = await t.system.app!.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const json = await t.system.app!.inject({ method: 'GET', url: '/docs/json' });
    expect(json.json().paths['/campaigns/{campaign_id}/resume']).toEqual(document.paths['/campaigns/{campaign_id}/resume']);
  });

  it('has the contract security schemes and default security', () => {
    expect(document.components.securitySchemes).toEqual(contract.components.securitySchemes);
    expect(document.security).toEqual(contract.security);
  });
});

type Operation = { operationId?: string };

/** `METHOD /path/{param}` of every route in Fastify's printed route tree (HEAD left out). */
function servedRoutes(tree: string): string[] {
  const prefixes: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[├└]── (.*) \(([^)]*)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const url = (prefixes[depth - 1] ?? '') + match[2]!;
    prefixes[depth] = url;
    for (const method of match[3]!.split(', ')) if (method !== 'HEAD') routes.push(`${method} ${url.replace(/:(\w+)/g, '{$1}')}`);
  }
  return routes;
}
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const operationsOf = (paths: Record<string, Json>) =>
  Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.has(method))
      .map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation: operation as Operation })),
  );

describe('the whole document', () => {
  it('is valid OpenAPI 3.1 with every reference resolvable (swagger-parser)', async () => {
    // validate() dereferences every $ref, so a reference to a schema the document lacks fails here.
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
  });

  it("passes Redocly's recommended rules with no error and no warning", async () => {
    const config = await createConfig({
      extends: ['recommended'],
      rules: {
        // The project declares no license.
        'info-license': 'off',
        // /healthz and /readyz have no client error to document.
        'operation-4xx-response': 'off',
      },
    });
    const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'openapi.json', config });
    expect(problems.map((problem) => `${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`)).toEqual([]);
  });

  it('is what the committed client types were generated from (npm run generate:client)', async () => {
    const committed = readFileSync(new URL(`../../${CLIENT_TYPES_PATH}`, import.meta.url), 'utf8');
    // A plain equality: a diff of a 2,000-line file would bury the one instruction that matters.
    expect(committed === (await clientTypes(document)), `${CLIENT_TYPES_PATH} is stale: run npm run generate:client and commit it`).toBe(true);
  });

  it('names a server, so generated clients know where the API is', () => {
    expect(document.servers).toEqual([{ url: '/', description: expect.any(String) }]);
  });

  it('gives every operation a unique operationId', () => {
    const operations = operationsOf(document.paths);
    expect(operations.length).toBeGreaterThan(20);
    expect(operations.filter(({ operation }) => !operation.operationId).map(({ name }) => name)).toEqual([]);
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('documents every route the server answers, but for the operator pages', () => {
    const documented = new Set(operationsOf(document.paths).map(({ name }) => name));
    const served = servedRoutes(t.system.app!.printRoutes({ commonPrefix: false }));
    expect(served).toContain('POST /campaigns/{campaign_id}/start');
    const operatorPages = /^\S+ \/(docs|admin|metrics|openapi\.json)\b/;
    expect(served.filter((route) => !operatorPages.test(route) && !documented.has(route))).toEqual([]);
  });
});

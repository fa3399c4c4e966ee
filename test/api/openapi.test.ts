import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

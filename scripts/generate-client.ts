/**
 * `npm run generate:client`: writes src/client/openapi.ts from the document the API serves
 * (GET /openapi.json), so the typed client follows every schema change. A test fails while
 * the committed file differs from what this writes.
 */
import { writeFile } from 'node:fs/promises';
import { loadConfig } from '../src/config.js';
import { startSystem } from '../src/system.js';
import { CLIENT_TYPES_PATH, clientTypes } from './client-types.js';

const system = await startSystem(loadConfig({ ...process.env, LOG_LEVEL: 'silent' }), 'api');
try {
  const response = await system.app!.inject({ method: 'GET', url: '/openapi.json' });
  if (response.statusCode !== 200) throw new Error(`GET /openapi.json answered ${response.statusCode}`);
  await writeFile(CLIENT_TYPES_PATH, await clientTypes(response.json()));
  console.log(`wrote ${CLIENT_TYPES_PATH}`);
} finally {
  await system.close();
}
// As src/main.ts does: exit once everything is closed, whatever handle a library still holds.
process.exit(0);

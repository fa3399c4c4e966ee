import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { createDb } from './db/client.js';
import { createApiKey, findOrCreateOrganization } from './db/repositories/organizations.js';
import { createLogger } from './logger.js';

const USAGE = 'usage: npm run cli -- api-key create --org <organization name>';

async function createKey(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { org: { type: 'string' } } });
  if (!values.org?.trim()) throw new ConfigError(`--org is required\n${USAGE}`);
  const config = loadConfig();
  const db = createDb(config.DATABASE_URL, createLogger('silent'));
  try {
    const organization = await findOrCreateOrganization(db, values.org.trim());
    const { key } = await createApiKey(db, organization.id);
    console.log(`organization: ${organization.name} (${organization.id})`);
    console.log('API key (shown once; send it as the X-API-Key header):');
    console.log(key);
  } finally {
    await db.$disconnect();
  }
}

async function main(argv: string[]): Promise<void> {
  const [resource, action, ...rest] = argv;
  if (resource === 'api-key' && action === 'create') return createKey(rest);
  throw new ConfigError(USAGE);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

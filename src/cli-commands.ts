import { parseArgs } from 'node:util';
import { ConfigError, loadDatabaseConfig } from './config.js';
import { withStandaloneDb } from './db/client.js';
import { createApiKey, findOrCreateOrganization, setOrganizationCallLimit } from './db/repositories/organizations.js';

const USAGE = `usage:
  npm run cli -- api-key create --org <organization name>
  npm run cli -- org set-call-limit --org <organization name> --max-concurrent-calls <n | none>`;

/** What a command reads and writes besides the database: the terminal's in `npm run cli`, a test's own in tests. */
export interface CliIo {
  print: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

function organizationName(values: { org?: string | undefined }): string {
  if (!values.org?.trim()) throw new ConfigError(`--org is required\n${USAGE}`);
  return values.org.trim();
}

async function createKey(args: string[], io: CliIo): Promise<void> {
  const { values } = parseArgs({ args, options: { org: { type: 'string' } } });
  const name = organizationName(values);
  await withStandaloneDb(loadDatabaseConfig(io.env).DATABASE_URL, async (db) => {
    const organization = await findOrCreateOrganization(db, name);
    const { key } = await createApiKey(db, organization.id);
    io.print(`organization: ${organization.name} (${organization.id})`);
    io.print('API key (shown once; send it as the X-API-Key header):');
    io.print(key);
  });
}

/** The telephony account's limit on simultaneous calls across the organization's campaigns. */
async function setCallLimit(args: string[], io: CliIo): Promise<void> {
  const { values } = parseArgs({ args, options: { org: { type: 'string' }, 'max-concurrent-calls': { type: 'string' } } });
  const name = organizationName(values);
  const raw = values['max-concurrent-calls'];
  const limit = raw === 'none' ? null : Number(raw);
  if (limit !== null && !(Number.isInteger(limit) && limit >= 1 && limit <= 2_147_483_647)) {
    throw new ConfigError(`--max-concurrent-calls must be a positive integer or "none"\n${USAGE}`);
  }
  await withStandaloneDb(loadDatabaseConfig(io.env).DATABASE_URL, async (db) => {
    const organization = await setOrganizationCallLimit(db, name, limit);
    io.print(`organization: ${organization.name} (${organization.id}): max concurrent calls ${limit ?? 'unlimited'}`);
  });
}

/** Runs one command line; a usage mistake throws a ConfigError whose message is the usage. */
export async function runCli(argv: string[], io: CliIo): Promise<void> {
  const [resource, action, ...rest] = argv;
  if (resource === 'api-key' && action === 'create') return createKey(rest, io);
  if (resource === 'org' && action === 'set-call-limit') return setCallLimit(rest, io);
  throw new ConfigError(USAGE);
}

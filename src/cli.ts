import { parseArgs } from 'node:util';
import { ConfigError, loadDatabaseConfig } from './config.js';
import { createStandalonePrisma } from './db/client.js';
import { createApiKey, findOrCreateOrganization, setOrganizationCallLimit } from './db/repositories/organizations.js';

const USAGE = `usage:
  npm run cli -- api-key create --org <organization name>
  npm run cli -- org set-call-limit --org <organization name> --max-concurrent-calls <n | none>`;

async function withPrisma<T>(work: (prisma: ReturnType<typeof createStandalonePrisma>) => Promise<T>): Promise<T> {
  const prisma = createStandalonePrisma(loadDatabaseConfig().DATABASE_URL);
  try {
    return await work(prisma);
  } finally {
    await prisma.$disconnect();
  }
}

function organizationName(values: { org?: string | undefined }): string {
  if (!values.org?.trim()) throw new ConfigError(`--org is required\n${USAGE}`);
  return values.org.trim();
}

async function createKey(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { org: { type: 'string' } } });
  const name = organizationName(values);
  await withPrisma(async (prisma) => {
    const organization = await findOrCreateOrganization(prisma, name);
    const { key } = await createApiKey(prisma, organization.id);
    console.log(`organization: ${organization.name} (${organization.id})`);
    console.log('API key (shown once; send it as the X-API-Key header):');
    console.log(key);
  });
}

/** The telephony account's limit on simultaneous calls across the organization's campaigns. */
async function setCallLimit(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { org: { type: 'string' }, 'max-concurrent-calls': { type: 'string' } } });
  const name = organizationName(values);
  const raw = values['max-concurrent-calls'];
  const limit = raw === 'none' ? null : Number(raw);
  if (limit !== null && !(Number.isInteger(limit) && limit >= 1 && limit <= 2_147_483_647)) {
    throw new ConfigError(`--max-concurrent-calls must be a positive integer or "none"\n${USAGE}`);
  }
  await withPrisma(async (prisma) => {
    const organization = await setOrganizationCallLimit(prisma, name, limit);
    console.log(`organization: ${organization.name} (${organization.id}): max concurrent calls ${limit ?? 'unlimited'}`);
  });
}

async function main(argv: string[]): Promise<void> {
  const [resource, action, ...rest] = argv;
  if (resource === 'api-key' && action === 'create') return createKey(rest);
  if (resource === 'org' && action === 'set-call-limit') return setCallLimit(rest);
  throw new ConfigError(USAGE);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

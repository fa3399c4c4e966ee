import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startSystem } from '../../src/system.js';
import { REDIS_URL, type BenchSystem } from './system.js';

/**
 * The system's services in this process, on a bench system's database and prefix: for cases
 * that time one use case (a hopper pass, a reconciler pass) without the children's IPC around it.
 * `env` adds settings.
 */
export function startInProcess(bench: BenchSystem, env: Record<string, string> = {}) {
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: 'bench-in-process-secret-of-32-characters',
    DATABASE_URL: bench.databaseUrl,
    REDIS_URL,
    QUEUE_PREFIX: bench.prefix,
    ...env,
  });
  return startSystem(config, 'api', { logger: createLogger('warn') });
}

import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startSystem, type Role } from './system.js';

const ROLES: Role[] = ['all', 'api', 'worker'];

async function main(): Promise<void> {
  const role = (process.argv[2] ?? 'all') as Role;
  if (!ROLES.includes(role)) throw new ConfigError(`Unknown role "${role}": use one of ${ROLES.join(', ')}.`);
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const system = await startSystem(config, role, { logger });
  if (system.app) {
    const address = await system.app.listen({ host: config.HOST, port: config.PORT });
    logger.info({ address, docs: `${address}/docs` }, 'API listening');
  }
  if (system.workers) logger.info({ queues: [...new Set(system.workers.workers.map((worker) => worker.name))] }, 'workers running');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    system.close().then(
      () => {
        logger.info('shut down cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // Under `npm start` a terminal's Ctrl-C reaches both npm and this process, and npm forwards it
  // again: a repeated signal must not cut short the shutdown it started (SHUTDOWN_TIMEOUT_MS
  // bounds it).
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  // A configuration problem is the operator's to fix: one clear line, no stack trace.
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});

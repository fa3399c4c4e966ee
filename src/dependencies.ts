import type { Dependency } from './domain/errors.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  'EHOSTUNREACH',
  '57P01',
  '57P03',
  '08006',
  '08001',
  '08003',
]);
const CONNECTION_MESSAGES =
  /Stream isn't writeable|Connection is closed|enableOfflineQueue|timeout exceeded when trying to connect|Can't reach database|Connection terminated|Client has encountered a connection error|Reached the max retries per request limit|the database system is (starting up|shutting down)/i;

/**
 * True for failures that mean "a backing service cannot be reached" rather than a bug: socket
 * errors, ioredis refusing a command while offline, pg pool timeouts, server shutdown codes.
 */
export function isConnectionFailure(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = (current as Error & { cause?: unknown }).cause) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    if (CONNECTION_MESSAGES.test(current.message)) return true;
    if (current instanceof AggregateError && current.errors.some(isConnectionFailure)) return true;
  }
  return false;
}

/** ioredis's wording for a command refused or cut off while Redis is away. */
const REDIS_MESSAGES = /Stream isn't writeable|enableOfflineQueue|Connection is closed|Reached the max retries per request limit/i;

/** Which dependency a connection failure is about: ioredis's own wording names Redis, anything else is PostgreSQL. */
export function failedDependency(error: unknown): Dependency {
  for (let current = error; current instanceof Error; current = (current as Error & { cause?: unknown }).cause) {
    if (REDIS_MESSAGES.test(current.message)) return 'redis';
  }
  return 'postgres';
}

export interface DependencyMonitor {
  /** A connection failure was seen: logs one error per outage and starts probing. */
  down(dependency: Dependency, error: unknown): void;
  /** Something answered: ends the outage (one info line) if there was one. */
  up(dependency: Dependency): void;
  isDown(dependency: Dependency): boolean;
  close(): void;
}

const PROBE_INTERVAL_MS = 1_000;

/**
 * One place that knows whether PostgreSQL and Redis answer. Every connection, pool, queue and
 * worker reports failures here instead of logging them, so an outage of any length logs one
 * error when it starts and one info line when it ends, and is counted in the metrics.
 */
export function createDependencyMonitor(
  logger: Logger,
  metrics: Pick<Metrics, 'dependencyUp' | 'dependencyOutages'>,
  probes: Partial<Record<Dependency, () => Promise<unknown>>>,
): DependencyMonitor {
  const outages = new Map<Dependency, { since: number; timer: NodeJS.Timeout | undefined }>();
  let closed = false;

  const up = (dependency: Dependency) => {
    const outage = outages.get(dependency);
    if (!outage) return;
    clearTimeout(outage.timer);
    outages.delete(dependency);
    metrics.dependencyUp.set({ dependency }, 1);
    logger.info({ dependency, down_ms: Date.now() - outage.since }, `${dependency} answers again`);
  };

  const probe = (dependency: Dependency) => {
    const outage = outages.get(dependency);
    const check = probes[dependency];
    if (!outage || !check || closed) return;
    outage.timer = setTimeout(() => {
      check().then(
        () => up(dependency),
        () => probe(dependency),
      );
    }, PROBE_INTERVAL_MS);
    outage.timer.unref();
  };

  for (const dependency of ['postgres', 'redis'] as const) metrics.dependencyUp.set({ dependency }, 1);

  return {
    down: (dependency, error) => {
      if (outages.has(dependency) || closed) return;
      outages.set(dependency, { since: Date.now(), timer: undefined });
      metrics.dependencyUp.set({ dependency }, 0);
      metrics.dependencyOutages.inc({ dependency });
      logger.error({ dependency, err: error instanceof Error ? error.message : String(error) }, `${dependency} is unreachable; retrying until it answers`);
      probe(dependency);
    },
    up,
    isDown: (dependency) => outages.has(dependency),
    close: () => {
      closed = true;
      for (const outage of outages.values()) clearTimeout(outage.timer);
    },
  };
}

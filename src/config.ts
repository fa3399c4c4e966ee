import { DEFAULT_RETRY_DELAYS_MS } from './domain/webhooks.js';
import { z } from 'zod';

const DEV_JWT_SECRET = 'development-only-jwt-secret-change-me';
const DEV_WEBHOOK_SECRET_KEY = 'development-only-webhook-secret-key-change-me';

const postgresUrl = z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgresql:// URL' });
/** "host:port,host:port" as a list (seed nodes of a cluster, sentinels). */
const hostPorts = z
  .string()
  .regex(/^\s*[^\s:,]+:\d{1,5}\s*(,\s*[^\s:,]+:\d{1,5}\s*)*$/, 'must list host:port nodes, separated by commas')
  .transform((list) =>
    list.split(',').map((node) => {
      const [host, port] = node.trim().split(':') as [string, string];
      return { host, port: Number(port) };
    }),
  );
const databaseUrl = postgresUrl.default('postgresql://postgres@127.0.0.1:5432/campaigns');

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    DATABASE_URL: databaseUrl,
    REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL' }).default('redis://127.0.0.1:6379'),
    // Redis Cluster: seed nodes ("host:port,host:port"); when set, REDIS_URL is not used.
    REDIS_CLUSTER_NODES: hostPorts.optional(),
    // Redis behind Sentinel: the sentinels ("host:port,…") and the name of the primary they watch;
    // when set, REDIS_URL is not used.
    REDIS_SENTINELS: hostPorts.optional(),
    REDIS_SENTINEL_NAME: z.string().min(1).optional(),
    REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
    // The data nodes' password with REDIS_CLUSTER_NODES or REDIS_SENTINELS (REDIS_URL carries its own).
    REDIS_PASSWORD: z.string().min(1).optional(),
    // Connections per process, shared by every query; workers batch their hot paths, so a few
    // dozen serve hundreds of concurrent jobs.
    DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(500).default(20),
    DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
    // How long a producer (the API) waits for Redis to connect or to take a job before answering 503.
    REDIS_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(2_000),
    REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).default(3_000),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    // Seconds a bearer token may live: from its iat (refused once older), and its exp at most this
    // long after its iat (or after now when it has no iat). A token with neither is refused.
    JWT_MAX_AGE_SECONDS: z.coerce.number().int().min(60).max(31_536_000).default(86_400),
    // Redis Cluster: a hash tag in braces ("{campaigns}") keeps every key of a queue in one slot.
    QUEUE_PREFIX: z
      .string()
      .regex(
        /^(?:[A-Za-z0-9_-]+|\{[A-Za-z0-9_-]+\})$/,
        'may hold letters, digits, "_" and "-" only, optionally wrapped in braces as a hash tag ("{campaigns}")',
      )
      .default('bull'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // How long the API waits for a lifecycle command before answering 202 with a command id.
    COMMAND_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(10_000),
    // A resume whose segment holds more targets answers 202 at once (poll GET /commands/{id}).
    RESUME_WAIT_LIMIT: z.coerce.number().int().min(0).default(50_000),
    // Lifecycle commands a worker process runs at once; those that arrive together are applied in
    // one transaction (group commit), so a burst of commands costs a few transactions.
    LIFECYCLE_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(100),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
    // The hopper: rows due within the horizon become delayed jobs, checked every interval.
    SCHEDULE_HORIZON_SECONDS: z.coerce.number().int().min(1).default(900),
    HOPPER_INTERVAL_MS: z.coerce.number().int().min(100).default(2_000),
    HOPPER_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1_000),
    HOPPER_MAX_PROMOTED_PER_CAMPAIGN: z.coerce.number().int().min(1).default(5_000),
    // Rounds open lazily: the targets a rollout opens per batch, and per hopper pass and campaign.
    ROLLOUT_BATCH_SIZE: z.coerce.number().int().min(1).max(50_000).default(5_000),
    ROLLOUT_TARGETS_PER_PASS: z.coerce.number().int().min(1).default(50_000),
    // The reconciler: how often it looks for jobs Redis lost, and how old a promotion must be.
    RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(15_000),
    RECONCILE_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
    // A call may stay `dialing` (a message `sending`) this long without an outcome.
    CALL_OUTCOME_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(900),
    // Claims and reports processed at once per worker process (batched into few transactions).
    DISPATCH_CONCURRENCY: z.coerce.number().int().min(1).max(2_000).default(200),
    // A call held by max_concurrent_calls is offered again after this long.
    CONCURRENCY_RETRY_MS: z.coerce.number().int().min(100).default(5_000),
    // HTTP basic auth for the Bull Board at /admin/queues; the board is mounted only when both are non-empty.
    ADMIN_USER: z.string().optional(),
    ADMIN_PASSWORD: z.string().optional(),
    CALL_OUTCOME_TIMEOUT: z.string().optional(),
    // Input limits (src/api/limits.ts): every free-form field the API stores or copies into jobs.
    TEXT_MAX_CHARS: z.coerce.number().int().min(1).max(1_000_000).default(2_000),
    SUMMARY_MAX_CHARS: z.coerce.number().int().min(1).max(10_000).default(10_000),
    VARIABLES_MAX_BYTES: z.coerce.number().int().min(2).max(1_048_576).default(8_192),
    VARIABLES_MAX_DEPTH: z.coerce.number().int().min(1).max(1_000).default(32),
    CALL_ATTEMPT_DELAYS_MAX: z.coerce.number().int().min(0).max(1_000).default(20),
    CALL_ATTEMPT_DELAY_MAX_MINUTES: z.coerce.number().int().min(0).max(525_600).default(43_200),
    GOAL_OBJECTIVES_MAX: z.coerce.number().int().min(0).max(1_000).default(20),
    // Bodies of POST /campaigns/{id}/targets (JSON, CSV or NDJSON); other routes take 1 MiB.
    TARGETS_BODY_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1_024)
      .max(1_073_741_824)
      .default(64 * 1_048_576),
    // Webhooks (docs/webhooks.md): the key sealing signing secrets at rest, whether endpoints may
    // be http or private addresses (tests, local development), how long an attempt may take,
    // the delays between attempts, and deliveries in flight per worker process.
    WEBHOOK_SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    WEBHOOK_ALLOW_PRIVATE_URLS: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .default('false')
      .transform((value) => value === 'true'),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(15_000),
    WEBHOOK_RETRY_DELAYS_MS: z
      .string()
      .regex(/^\d+(,\d+)*$/, 'must be delays in milliseconds separated by commas, e.g. 5000,300000')
      .optional()
      .transform((value) => (value === undefined ? [...DEFAULT_RETRY_DELAYS_MS] : value.split(',').map(Number))),
    WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(50),
    // Requests per credential (API key, JWT org+sub; the IP without one) per window; 0 disables.
    RATE_LIMIT_MAX: z.coerce.number().int().min(0).default(50_000),
    RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production') {
      for (const name of ['JWT_SECRET', 'ADMIN_USER', 'ADMIN_PASSWORD', 'WEBHOOK_SECRET_KEY'] as const) {
        if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'is required in production' });
      }
    }
    // The board is served with both or not at all: one alone is a typo, not a choice.
    if (env.NODE_ENV !== 'production' && Boolean(env.ADMIN_USER) !== Boolean(env.ADMIN_PASSWORD)) {
      const missing = env.ADMIN_USER ? 'ADMIN_PASSWORD' : 'ADMIN_USER';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'must be set together with ' + (env.ADMIN_USER ? 'ADMIN_USER' : 'ADMIN_PASSWORD') });
    }
    // On a cluster each queue carries a hash tag of its own (src/queues/names.ts): one in the
    // prefix would put every queue in one slot again.
    if (env.REDIS_CLUSTER_NODES && env.QUEUE_PREFIX.startsWith('{')) {
      ctx.addIssue({
        code: 'custom',
        path: ['QUEUE_PREFIX'],
        message: 'must not be wrapped in braces with REDIS_CLUSTER_NODES (each queue gets a hash tag of its own)',
      });
    }
    if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_NAME) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINEL_NAME'], message: 'is required with REDIS_SENTINELS (the name of the primary they watch)' });
    }
    if (env.REDIS_SENTINELS && env.REDIS_CLUSTER_NODES) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINELS'], message: 'cannot be set together with REDIS_CLUSTER_NODES' });
    }
    if (env.CALL_OUTCOME_TIMEOUT !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['CALL_OUTCOME_TIMEOUT'], message: 'was renamed CALL_OUTCOME_TIMEOUT_SECONDS' });
    }
  })
  .transform(({ CALL_OUTCOME_TIMEOUT: _renamed, ...env }) => ({
    ...env,
    JWT_SECRET: env.JWT_SECRET ?? DEV_JWT_SECRET,
    WEBHOOK_SECRET_KEY: env.WEBHOOK_SECRET_KEY ?? DEV_WEBHOOK_SECRET_KEY,
  }));

export type Config = z.output<typeof envSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parse<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
}

/** Parses the environment once at boot; the message names every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parse(envSchema, env);
}

/**
 * What the migration runner and the CLI need: the database only (no secrets to refuse them for).
 * DATABASE_DIRECT_URL, when DATABASE_URL goes through a transaction pooler (PgBouncer), reaches
 * PostgreSQL itself: migrations hold a session advisory lock, which a pooler cannot keep.
 */
export function loadDatabaseConfig(env: NodeJS.ProcessEnv = process.env): { DATABASE_URL: string; DATABASE_DIRECT_URL?: string | undefined } {
  return parse(z.object({ DATABASE_URL: databaseUrl, DATABASE_DIRECT_URL: postgresUrl.optional() }), env);
}

export function usesDevelopmentJwtSecret(config: Config): boolean {
  return config.JWT_SECRET === DEV_JWT_SECRET;
}

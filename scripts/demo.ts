/**
 * `npm run demo`: the whole system at work in under a minute, on the local PostgreSQL and Redis.
 *
 * Migrates a demo database, starts the API and the workers in this process, creates an
 * organization, an API key and a campaign of a few hundred targets through the HTTP API, runs a
 * simulated dialer and WhatsApp sender on the exported helper (`src/dialer`), and follows the
 * campaign to the end; then resumes the `not_answered` segment and follows the second pass.
 * Time runs DEMO_SPEED times faster than real time (one real second = one minute by default),
 * so retries minutes apart happen within seconds.
 *
 *   npm run demo                                   # then browse; Ctrl-C stops
 *   DEMO_EXIT=1 npm run demo                       # exit 0 after the second pass (CI)
 *   DEMO_TARGETS=1000 DEMO_ANSWER_RATE=0.5 npm run demo
 *
 * Settings (environment): DEMO_TARGETS (300), DEMO_ANSWER_RATE (0.35), DEMO_FAILURE_RATE (0.1),
 * DEMO_REPLY_RATE (0.3), DEMO_CALL_MS (300), DEMO_SPEED (60), DEMO_TIMEOUT_MS (180000),
 * DEMO_PROGRESS_MS (3000, plain progress lines when stdout is not a terminal), DEMO_EXIT.
 * The system's own variables apply too; unless set, the demo uses the database `campaigns_demo`
 * on the default server, QUEUE_PREFIX=demo, LOG_LEVEL=warn, HOPPER_INTERVAL_MS=500,
 * SCHEDULE_HORIZON_SECONDS=1, CALL_OUTCOME_TIMEOUT_SECONDS of at least a real minute and
 * ADMIN_USER/ADMIN_PASSWORD demo/demo. It refuses a database where other organizations have
 * campaigns running: its simulated dialer would answer their calls.
 */
import net from 'node:net';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { ConfigError, loadConfig, type Config } from '../src/config.js';
import { parseDatabaseUrl, withClient } from '../src/db/migrations/database.js';
import { deployMigrations } from '../src/db/migrations/deploy.js';
import { createApiKey, findOrCreateOrganization } from '../src/db/repositories/organizations.js';
import { createDialerWorker, createWhatsappWorker, createEventReporter, type CallOutcomeReport, type RunningHelper } from '../src/dialer/index.js';
import type { Clock } from '../src/services/clock.js';
import type { System } from '../src/system.js';

/** A problem the user can fix: printed as one line, no stack trace. */
class DemoError extends Error {}

// ---------------------------------------------------------------------------------------------
// Settings

function numberSetting(name: string, fallback: number, min: number, max: number, integer = false): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new DemoError(`${name}=${raw} is invalid: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}.`);
  }
  return value;
}

function readSettings() {
  const settings = {
    targets: numberSetting('DEMO_TARGETS', 300, 1, 100_000, true),
    answerRate: numberSetting('DEMO_ANSWER_RATE', 0.35, 0, 1),
    failureRate: numberSetting('DEMO_FAILURE_RATE', 0.1, 0, 1),
    replyRate: numberSetting('DEMO_REPLY_RATE', 0.3, 0, 1),
    callMs: numberSetting('DEMO_CALL_MS', 300, 0, 60_000, true),
    speed: numberSetting('DEMO_SPEED', 60, 1, 10_000),
    timeoutMs: numberSetting('DEMO_TIMEOUT_MS', 180_000, 1_000, 86_400_000, true),
    progressMs: numberSetting('DEMO_PROGRESS_MS', 3_000, 100, 600_000, true),
    exitWhenDone: ['1', 'true', 'yes'].includes((process.env.DEMO_EXIT ?? '').toLowerCase()),
  };
  if (settings.answerRate + settings.failureRate > 1) {
    throw new DemoError('DEMO_ANSWER_RATE + DEMO_FAILURE_RATE must not exceed 1.');
  }
  return settings;
}
type Settings = ReturnType<typeof readSettings>;

const DEMO_DATABASE = 'campaigns_demo';
const DEFAULT_DATABASE_SERVER = 'postgresql://postgres@127.0.0.1:5432';

/**
 * The system's configuration with the demo's defaults for what the user did not set. The clock
 * runs `speed` times faster, but the hopper hands BullMQ delays measured on that clock
 * (due − clock()), which BullMQ waits in real milliseconds: a call due in 5 simulated minutes
 * would wait 5 real minutes. A horizon of one second promotes work only when it is (about)
 * due, so every delay stays under a second; the hopper running every 500 ms does the timing.
 */
function demoConfig(speed: number): Config {
  const defaults: Record<string, string> = {
    DATABASE_URL: `${DEFAULT_DATABASE_SERVER}/${DEMO_DATABASE}`,
    QUEUE_PREFIX: 'demo',
    LOG_LEVEL: 'warn',
    HOPPER_INTERVAL_MS: '500',
    SCHEDULE_HORIZON_SECONDS: '1',
    // Measured on the fast clock too: keep at least a real minute before a call counts as lost.
    CALL_OUTCOME_TIMEOUT_SECONDS: String(Math.max(900, Math.ceil(60 * speed))),
    ADMIN_USER: 'demo',
    ADMIN_PASSWORD: 'demo',
  };
  const env = { ...process.env };
  for (const [name, value] of Object.entries(defaults)) env[name] ??= value;
  return loadConfig(env);
}

// ---------------------------------------------------------------------------------------------
// Terminal: a live line redrawn in place on a TTY, plain lines otherwise

class Terminal {
  private live = '';
  private frozen = false;

  constructor(readonly tty: boolean) {}

  /** Columns available to the live line (one is left free so the cursor never wraps). */
  get width(): number {
    return (process.stdout.columns || 120) - 1;
  }

  /** Prints a line of output (above the live line, which is redrawn after it). */
  print(text = ''): void {
    this.clearLive();
    process.stdout.write(`${text}\n`);
    this.drawLive();
  }

  /** A log line, on stderr; on a terminal it must not tear the live line apart. */
  log(text: string): void {
    this.clearLive();
    process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    this.drawLive();
  }

  /** TTY only: replaces the live line. */
  status(line: string): void {
    if (!this.tty || this.frozen) return;
    this.live = fit(line, this.width);
    process.stdout.write('\x1b[?25l');
    this.drawLive();
  }

  /** Leaves the live line where it is, as printed output. */
  settle(): void {
    if (!this.live) return;
    process.stdout.write('\n\x1b[?25h');
    this.live = '';
  }

  /** Settles the live line and draws no other: the demo is stopping. */
  freeze(): void {
    this.settle();
    this.frozen = true;
  }

  restoreCursor(): void {
    if (this.tty) process.stdout.write('\x1b[?25h');
  }

  private clearLive(): void {
    if (this.live) process.stdout.write('\r\x1b[2K');
  }

  private drawLive(): void {
    if (this.live) process.stdout.write(`\r\x1b[2K${this.live}`);
  }
}

/** The line cut to `width` characters, an ellipsis marking the cut. */
function fit(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** Pretty, single-line log records through the terminal (pino's JSON is hard to read here). */
function demoLogger(level: string, term: Terminal): Logger {
  const format = prettyFactory({
    colorize: term.tty,
    singleLine: true,
    ignore: 'pid,hostname,service',
    translateTime: 'SYS:HH:MM:ss',
  });
  return pino(
    {
      level,
      base: { service: 'campaign-execution' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: ['req.headers["x-api-key"]', 'req.headers.authorization'],
    },
    { write: (line: string) => term.log(format(line)) },
  );
}

// ---------------------------------------------------------------------------------------------
// Preflight: clear one-line messages instead of hangs and stack traces

async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ host, port, exclusive: true }, resolve);
    });
  } catch (error) {
    throw portError(error, port);
  } finally {
    probe.close();
  }
}

function portError(error: unknown, port: number): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === 'EADDRINUSE') {
    return new DemoError(`Port ${port} is already in use: stop what listens there, or run with PORT=<another port> npm run demo`);
  }
  if (code === 'EACCES') return new DemoError(`Port ${port} needs privileges: run with PORT=<a port above 1024> npm run demo`);
  return error;
}

function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

async function assertRedisAnswers(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3_000, retryStrategy: () => null });
  let cause: unknown;
  redis.on('error', (error) => (cause ??= error));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new DemoError(`Redis does not answer at ${redacted(url)} (${messageOf(cause ?? error)}): start it, or set REDIS_URL.`);
  } finally {
    redis.disconnect();
  }
}

async function migrate(databaseUrl: string): Promise<string[]> {
  try {
    return await deployMigrations(databaseUrl);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '28P01' || code === '28000') {
      throw new DemoError(`PostgreSQL refused the connection at ${redacted(databaseUrl)} (${messageOf(error)}): check that it runs, or set DATABASE_URL.`);
    }
    throw error;
  }
}

/**
 * The demo's hopper promotes the due work of every running campaign in its database, and its
 * simulated dialer answers it: another organization's running campaign would be "called" with
 * made-up outcomes. Refuse a database that holds one (e.g. DATABASE_URL pointing at `campaigns`).
 */
async function assertDatabaseIsTheDemos(databaseUrl: string): Promise<void> {
  const { rows } = await withClient(parseDatabaseUrl(databaseUrl), (client) =>
    client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM campaigns c JOIN organizations o ON o.id = c.organization_id
        WHERE c.status IN ('running', 'paused') AND o.name <> $1`,
      [DEMO_ORGANIZATION],
    ),
  );
  const others = rows[0]?.n ?? 0;
  if (others > 0) {
    throw new DemoError(
      `${redacted(databaseUrl)} holds ${others} running or paused campaign(s) of other organizations, which the demo's ` +
        `simulated dialer would contact: give the demo a database of its own (unset DATABASE_URL for ${DEMO_DATABASE}).`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Demo data

const DEMO_ORGANIZATION = 'demo';

const AGENT_ID = '0b6f0d3e-8a41-4d4e-9a0e-3f1f6f1c2a10';
const PHONE_NUMBER_ID = '5d7c2a10-3e4f-4b8a-9c1d-2e3f4a5b6c7d';
const WHATSAPP_CHANNEL_ID = '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

/** One mobile number plan per zone: the index keeps every number unique. */
const ZONES = [
  { zone: 'America/New_York', number: (i: number) => `+1212${pad(5_000_000 + i, 7)}` },
  { zone: 'Europe/Paris', number: (i: number) => `+336${pad(i, 8)}` },
  { zone: 'Europe/London', number: (i: number) => `+447700${pad(i, 6)}` },
  { zone: 'Asia/Kolkata', number: (i: number) => `+9198${pad(i, 8)}` },
  { zone: 'Asia/Tokyo', number: (i: number) => `+8190${pad(i, 8)}` },
  { zone: 'America/Sao_Paulo', number: (i: number) => `+55119${pad(i, 8)}` },
  { zone: 'Australia/Sydney', number: (i: number) => `+614${pad(i, 8)}` },
];
const FIRST = [
  'Ana',
  'Bruno',
  'Chloé',
  'Dev',
  'Emma',
  'Farid',
  'Grace',
  'Hiro',
  'Inès',
  'Jonas',
  'Kavya',
  'Liam',
  'Maya',
  'Noah',
  'Olivia',
  'Pedro',
  'Quinn',
  'Rosa',
  'Sam',
  'Yuki',
];
const LAST = ['Martin', 'Silva', 'Tanaka', 'Sharma', 'Smith', 'Dubois', 'Costa', 'Brown', 'Kumar', 'Sato', 'Nguyen', 'Meyer', 'Jones'];

const pad = (n: number, width: number) => String(n % 10 ** width).padStart(width, '0');

/**
 * Deterministic mix by index: 10% email only (never contacted: nothing to call or message),
 * 10% WhatsApp only, 40% phone and WhatsApp, 40% phone only.
 */
function demoTargets(count: number) {
  return Array.from({ length: count }, (_, i) => {
    const { zone, number } = ZONES[i % ZONES.length]!;
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
    const email = `${first}.${last}.${i}@example.com`
      .toLowerCase()
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '');
    const kind = i % 10;
    const phone = kind >= 2 ? number(i) : undefined;
    const whatsapp = kind === 1 || (kind >= 2 && kind <= 5) ? number(i) : undefined;
    return {
      name: `${first} ${last}`,
      timezone: zone,
      ...(phone ? { phone } : {}),
      ...(whatsapp ? { whatsapp } : {}),
      ...(kind === 0 || kind % 3 === 0 ? { email } : {}),
      variables: { first_name: first, plan: ['Basic', 'Plus', 'Premium'][i % 3] },
    };
  });
}

const CALL_ATTEMPT_DELAYS = [3, 5];

function demoCampaign() {
  const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
  return {
    name: `Demo renewals ${stamp} UTC`,
    agent_id: AGENT_ID,
    phone_number_id: PHONE_NUMBER_ID,
    whatsapp_channel_id: WHATSAPP_CHANNEL_ID,
    timezone: 'UTC',
    goal: 'The customer agrees to renew (AI score 0.7 or more), or replies on WhatsApp.',
    goal_spec: {
      objectives: [
        { type: 'ai', label_in: ['positive'], min_score: 0.7 },
        { type: 'contact', channels: ['whatsapp'], min_count: 1 },
      ],
    },
    goal_logic: 'any',
    first_contact_channel: 'call',
    call_opening_message: 'Hello, this is Ava from Acme Energy about renewing your plan.',
    whatsapp_first_message: 'Hi! We tried to call you about renewing your Acme Energy plan. Reply here and we will call back.',
    whatsapp_after_attempts: 2,
    call_attempt_delays: CALL_ATTEMPT_DELAYS,
    // Every hour of every day, so the demo runs whatever the time: a real campaign would use
    // working hours such as 09:00-19:00, read in each target's time zone.
    call_working_hours: { start: '00:00', end: '23:59:59', weekdays: [1, 2, 3, 4, 5, 6, 7] },
  };
}

// ---------------------------------------------------------------------------------------------
// Simulated dialer and WhatsApp sender, on the exported helper

const DIALERS = 3;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

function startSimulators(config: Config, settings: Settings) {
  const connection = { url: config.REDIS_URL, maxRetriesPerRequest: null };
  const prefix = config.QUEUE_PREFIX;
  const pendingEvents = new Set<Promise<void>>();
  let closing = false;

  const dial = async (): Promise<CallOutcomeReport> => {
    await sleep(settings.callMs * (0.5 + Math.random()));
    const roll = Math.random();
    if (roll < settings.failureRate) return { status: 'failed', summary: 'The carrier rejected the call (simulated).' };
    if (roll < settings.failureRate + settings.answerRate) {
      const score = Math.round(Math.random() * 100) / 100;
      const label = score >= 0.7 ? 'positive' : score >= 0.4 ? 'neutral' : 'negative';
      return {
        status: 'answered',
        duration_s: 20 + Math.floor(Math.random() * 220),
        ai_label: label,
        ai_score: score,
        summary: `Simulated conversation, ${label} about renewing.`,
      };
    }
    return { status: pick(['no_answer', 'no_answer', 'busy', 'voicemail'] as const) };
  };
  // A small fleet of dialers, as one would run them: the helper waits on one guard answer per
  // job in flight, and above 10 at once Node warns about listeners (MaxListenersExceeded).
  const dialers: RunningHelper[] = Array.from({ length: DIALERS }, () => createDialerWorker({ connection, prefix, concurrency: 10, handler: dial }));

  /** After a message went out: delivered, then perhaps read and replied, a moment apart. */
  const reporter = createEventReporter({ connection, prefix });
  const followUp = async (messageId: string) => {
    const report = (event: 'delivered' | 'read' | 'replied') => reporter.reportWhatsappEvent(messageId, event);
    await sleep(100 + Math.random() * 200);
    await report('delivered');
    const replies = Math.random() < settings.replyRate;
    if (!replies && Math.random() < 0.5) return;
    await sleep(100 + Math.random() * 300);
    await report('read');
    if (!replies) return;
    await sleep(100 + Math.random() * 300);
    await report('replied');
  };

  const sender: RunningHelper = createWhatsappWorker({
    connection,
    prefix,
    concurrency: 10,
    handler: async (message) => {
      await sleep(50 + Math.random() * 100);
      if (Math.random() < settings.failureRate) return { status: 'failed' };
      if (!closing) {
        const events = followUp(message.message_id).catch((error: unknown) => console.error(`demo sender: could not report an event: ${String(error)}`));
        pendingEvents.add(events);
        void events.finally(() => pendingEvents.delete(events));
      }
      return { status: 'sent' };
    },
  });

  return {
    /** WhatsApp events still on their way (a reply counts toward the goal). */
    settle: (timeoutMs: number) => Promise.race([Promise.all([...pendingEvents]), sleep(timeoutMs)]),
    close: async () => {
      closing = true;
      await Promise.all([...dialers, sender].map((helper) => helper.close()));
      await Promise.race([Promise.all([...pendingEvents]), sleep(3_000)]);
      await reporter.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The HTTP API, as a client would call it

interface ApiResponse {
  status: number;
  body: Record<string, unknown>;
}

function apiClient(baseUrl: string, apiKey: string) {
  const call = async (method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'x-api-key': apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const ok = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await call(method, path, body);
    if (response.status >= 300) {
      throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
    }
    return response.body;
  };
  /** A lifecycle command: 200 with its result, or 202 and a command to poll until it finishes. */
  const command = async (path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await call('POST', path, body);
    if (response.status === 202) {
      const commandId = response.body.command_id as string;
      for (;;) {
        await sleep(250);
        const polled = await ok('GET', `/commands/${commandId}`);
        const result = polled.result as { status_code: number; body: Record<string, unknown> } | null;
        if (result) {
          if (result.status_code !== 200) throw new Error(`POST ${path} finished with ${result.status_code}: ${JSON.stringify(result.body)}`);
          return result.body;
        }
      }
    }
    if (response.status !== 200) throw new Error(`POST ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body;
  };
  return { call, ok, command };
}
type Api = ReturnType<typeof apiClient>;

/** Campaigns an interrupted earlier run left running would compete for the demo dialer. */
async function completeLeftovers(api: Api): Promise<number> {
  let cursor: string | null = null;
  let completed = 0;
  do {
    const page = await api.ok('GET', `/campaigns?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    for (const campaign of page.items as Array<{ id: string; status: string }>) {
      if (campaign.status === 'running' || campaign.status === 'paused') {
        await api.command(`/campaigns/${campaign.id}/complete`);
        completed += 1;
      }
    }
    cursor = (page.next_cursor as string | null) ?? null;
  } while (cursor);
  return completed;
}

// ---------------------------------------------------------------------------------------------
// Progress

interface Stats {
  targets: { total: number; by_state: Record<string, number>; goal_met: number; with_pending_work: number };
  calls: Record<string, number>;
  whatsapp_messages: Record<string, number>;
  progress: number;
}

const TARGET_STATES = ['goal_met', 'unresolved', 'not_answered', 'failed', 'not_contacted'];
const CALL_STATUSES = ['scheduled', 'dialing', 'answered', 'no_answer', 'busy', 'voicemail', 'failed', 'unknown', 'canceled'];
const MESSAGE_STATUSES = ['queued', 'sent', 'delivered', 'read', 'replied', 'failed', 'canceled'];

/** Non-zero counts in a fixed order: `goal_met 41, unresolved 30`. */
function counts(values: Record<string, number>, order: string[], separator: string): string {
  const keys = [...order, ...Object.keys(values).filter((key) => !order.includes(key))];
  const shown = keys.filter((key) => (values[key] ?? 0) > 0).map((key) => `${key} ${values[key]}`);
  return shown.length ? shown.join(separator) : 'none yet';
}

const sum = (values: Record<string, number>) => Object.values(values).reduce((total, n) => total + n, 0);

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

function simulated(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

function bar(progress: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, progress)) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

const percent = (progress: number) => `${String(Math.floor(progress * 100)).padStart(3)}%`;

/** Short labels for narrow terminals, explained once by ABBREVIATIONS. */
const SHORT: Record<string, string> = {
  goal_met: 'met',
  unresolved: 'unres',
  not_answered: 'noans',
  not_contacted: 'nc',
  failed: 'fail',
  answered: 'ans',
  no_answer: 'noans',
  voicemail: 'vm',
  scheduled: 'sched',
  dialing: 'dial',
  canceled: 'canc',
};
const ABBREVIATIONS =
  'Narrow terminal, so abbreviated: met=goal_met unres=unresolved noans=not_answered/no_answer nc=not_contacted\n' +
  '  ans=answered vm=voicemail sched=scheduled dial=dialing (a wider terminal shows full names)';

const shortCounts = (values: Record<string, number>, order: string[]) =>
  counts(
    Object.fromEntries(Object.entries(values).map(([key, n]) => [SHORT[key] ?? key, n])),
    order.map((key) => SHORT[key] ?? key),
    ' ',
  );

/**
 * The live line: the first variant from `from` on that fits the terminal, else the most compact
 * one, cut. The caller keeps the variant from one redraw to the next (it only ever gets more
 * compact), so the line does not jump between forms as the counts grow.
 */
function liveLine(pass: number, stats: Stats, elapsed: string, simulatedTime: string, width: number, from: number): { line: string; variant: number } {
  const head = (barWidth: number) => `Pass ${pass} ${bar(stats.progress, barWidth)} ${percent(stats.progress)}  ${elapsed}`;
  const targets = `targets: ${counts(stats.targets.by_state, TARGET_STATES, ' · ')}`;
  const calls = `calls: ${counts(stats.calls, CALL_STATUSES, ' · ')}`;
  const variants = [
    [`${head(20)}, simulated +${simulatedTime}`, targets, calls, `whatsapp: ${counts(stats.whatsapp_messages, MESSAGE_STATUSES, ' · ')}`],
    [head(20), targets, calls],
    [head(12), targets, calls],
    [head(12), counts(stats.targets.by_state, TARGET_STATES, ' '), `calls: ${counts(stats.calls, CALL_STATUSES, ' ')}`],
    [
      `P${pass} ${bar(stats.progress, 10)} ${percent(stats.progress)} ${elapsed.replace(' ', '')}`,
      shortCounts(stats.targets.by_state, TARGET_STATES),
      `calls ${shortCounts(stats.calls, CALL_STATUSES)}`,
    ],
  ].map((sections) => sections.join(' │ '));
  const last = variants.length - 1;
  for (let variant = Math.min(from, last); variant < last; variant += 1) {
    if ([...variants[variant]!].length <= width) return { line: variants[variant]!, variant };
  }
  return { line: fit(variants[last]!, width), variant: last };
}

const ABBREVIATED_VARIANT = 4;

function plainLine(pass: number, stats: Stats, elapsed: string): string {
  return [
    `[pass ${pass}] ${percent(stats.progress)}`,
    elapsed,
    `targets: ${counts(stats.targets.by_state, TARGET_STATES, ', ')}`,
    `calls (${sum(stats.calls)}): ${counts(stats.calls, CALL_STATUSES, ', ')}`,
    `whatsapp (${sum(stats.whatsapp_messages)}): ${counts(stats.whatsapp_messages, MESSAGE_STATUSES, ', ')}`,
  ].join(' | ');
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const settings = readSettings();
  const term = new Terminal(process.stdout.isTTY === true);
  const startedAt = Date.now();

  // Simulated time: starts now and runs `speed` times faster.
  const clock: Clock = () => new Date(startedAt + (Date.now() - startedAt) * settings.speed);
  let campaignStartedAt = clock().getTime();
  /** Simulated time since the campaign started. */
  const simulatedSinceStart = () => simulated(clock().getTime() - campaignStartedAt);

  let config: Config;
  try {
    config = demoConfig(settings.speed);
  } catch (error) {
    if (error instanceof ConfigError) throw new DemoError(error.message);
    throw error;
  }

  term.print('Campaign execution demo: API, workers, a simulated dialer and WhatsApp sender, in this process.');
  await assertPortFree(config.HOST, config.PORT);
  await assertRedisAnswers(config.REDIS_URL);
  const applied = await migrate(config.DATABASE_URL);
  await assertDatabaseIsTheDemos(config.DATABASE_URL);
  const { startSystem } = await import('../src/system.js');

  let system: System | undefined;
  let simulators: ReturnType<typeof startSimulators> | undefined;
  let api: Api | undefined;
  let campaignId: string | undefined;
  let finished = false;
  let stopping: Promise<void> | undefined;

  /** Graceful: the simulated dialer and sender stop, an unfinished campaign completes, then the system stops. */
  const stop = (code: number, message?: string) => {
    stopping ??= (async () => {
      term.freeze();
      if (message) {
        if (code === 0) term.print(message);
        else term.log(message);
      }
      const force = setTimeout(
        () => {
          console.error('Shutdown timed out; exiting.');
          process.exit(code || 1);
        },
        config.SHUTDOWN_TIMEOUT_MS + config.COMMAND_WAIT_MS + 5_000,
      );
      force.unref();
      try {
        await simulators?.close();
        if (api && campaignId && !finished) {
          // Not left running for the next demo. The command may wait behind the campaign's
          // settle jobs on the lifecycle queue: allow it the API's own wait.
          term.print(`Completing campaign ${campaignId} (POST /campaigns/{id}/complete)...`);
          const completed = await Promise.race([
            api.command(`/campaigns/${campaignId}/complete`).then(
              () => true,
              () => false,
            ),
            sleep(config.COMMAND_WAIT_MS + 1_000).then(() => false),
          ]);
          if (!completed) term.print('  (not confirmed; the next demo run completes campaigns left running)');
        }
        await system?.close();
      } finally {
        term.restoreCursor();
        process.exit(code);
      }
    })();
    return stopping;
  };
  process.once('SIGINT', () => void stop(0, 'Stopping (Ctrl-C)...'));
  process.once('SIGTERM', () => void stop(0, 'Stopping (SIGTERM)...'));
  const deadline = setTimeout(() => {
    void stop(
      1,
      `The demo did not finish within ${duration(settings.timeoutMs)} (DEMO_TIMEOUT_MS=${settings.timeoutMs}): ` +
        'is the machine very busy? Try a smaller DEMO_TARGETS or a larger DEMO_TIMEOUT_MS.',
    );
  }, settings.timeoutMs);

  try {
    const logLevel = config.LOG_LEVEL;
    system = await startSystem(config, 'all', { clock, logger: demoLogger(logLevel, term) });
    let address: string;
    try {
      address = await system.app!.listen({ host: config.HOST, port: config.PORT });
    } catch (error) {
      await system.close();
      system = undefined;
      throw portError(error, config.PORT);
    }
    const port = new URL(address).port;
    const listensEverywhere = ['0.0.0.0', '::', ''].includes(config.HOST);
    const callBase = listensEverywhere ? `http://127.0.0.1:${port}` : address;
    const shownBase = listensEverywhere ? `http://localhost:${port}` : address;

    term.print(`  PostgreSQL  ${redacted(config.DATABASE_URL)}${applied.length ? ` (${applied.length} migrations applied)` : ' (migrated)'}`);
    term.print(`  Redis       ${redacted(config.REDIS_URL)}, queue prefix "${config.QUEUE_PREFIX}"`);
    term.print(`  API         ${shownBase} (logs at level ${logLevel}; LOG_LEVEL=info shows more)`);

    const organization = await findOrCreateOrganization(system.db.sql, DEMO_ORGANIZATION);
    const { key } = await createApiKey(system.db.sql, organization.id);
    api = apiClient(callBase, key);
    const leftovers = await completeLeftovers(api);
    if (leftovers) term.print(`  Completed ${leftovers} campaign(s) an earlier, interrupted demo left running.`);

    // The campaign, through the HTTP API like any client.
    const created = await api.ok('POST', '/campaigns', demoCampaign());
    campaignId = created.id as string;
    const targets = demoTargets(settings.targets);
    let inserted = 0;
    for (let i = 0; i < targets.length; i += 10_000) {
      inserted += (await api.ok('POST', `/campaigns/${campaignId}/targets`, targets.slice(i, i + 10_000))).inserted as number;
    }
    const withPhone = targets.filter((target) => target.phone).length;
    const withWhatsapp = targets.filter((target) => target.whatsapp).length;
    const whatsappOnly = targets.filter((target) => target.whatsapp && !target.phone).length;
    const emailOnly = targets.filter((target) => !target.phone && !target.whatsapp).length;
    const zones = new Set(targets.map((target) => target.timezone)).size;

    term.print();
    term.print(`Campaign "${created.name as string}" (${campaignId}), organization "demo"`);
    term.print(
      `  ${inserted} targets in ${zones} time zones: ${withPhone} with a phone, ${withWhatsapp} on WhatsApp ` +
        `(${whatsappOnly} WhatsApp only), ${emailOnly} with an email only (no channel here: they stay not_contacted).`,
    );
    term.print(
      `  Up to ${CALL_ATTEMPT_DELAYS.length + 1} calls per round, ${CALL_ATTEMPT_DELAYS.join(' and ')} minutes apart; ` +
        'after 2 unanswered calls a WhatsApp message replaces the rest.',
    );
    term.print('  Goal (any): an answered call the AI rates positive with a score of 0.7 or more, or a WhatsApp reply.');
    term.print('  Call window 00:00-23:59:59, all 7 days, so the demo runs whatever the time of day.');
    term.print(
      `  Simulated: ${Math.round(settings.answerRate * 100)}% of calls answered, ${Math.round(settings.failureRate * 100)}% failed ` +
        `(messages too), ${Math.round(settings.replyRate * 100)}% of WhatsApp messages replied, calls last ~${settings.callMs} ms.`,
    );
    term.print(`  Time runs ${settings.speed}x faster (DEMO_SPEED): one real second is ${speedPhrase(settings.speed)}.`);
    if (config.ADMIN_USER && config.ADMIN_PASSWORD) {
      term.print(`  Watch the queues live in Bull Board: ${shownBase}/admin/queues (${adminCredentials(config)})`);
    }
    term.print();

    simulators = startSimulators(config, settings);
    const stats = async () => (await api!.ok('GET', `/campaigns/${campaignId}/stats`)) as unknown as Stats;
    const status = async () => (await api!.ok('GET', `/campaigns/${campaignId}`)).status as string;

    /**
     * Once done, WhatsApp events still on their way may move a target (a late reply meets the
     * goal): wait for them, then for two equal readings, so the summary matches what resume sees.
     */
    const settledStats = async (): Promise<Stats> => {
      await simulators!.settle(2_000);
      let previous = await stats();
      for (let i = 0; i < 8; i += 1) {
        await sleep(250);
        const next = await stats();
        if (JSON.stringify(next) === JSON.stringify(previous)) return next;
        previous = next;
      }
      return previous;
    };
    let liveVariant = 0;
    /** Follows the campaign until it is done: the live line on a terminal, plain lines otherwise. */
    const follow = async (pass: number): Promise<Stats> => {
      const passStarted = Date.now();
      let lastPlain = 0;
      for (;;) {
        // Stopping (Ctrl-C, timeout): no more progress; the process exits from stop().
        if (stopping) await stopping;
        const done = (await status()) === 'done';
        const current = done ? await settledStats() : await stats();
        if (stopping) await stopping;
        const elapsed = duration(Date.now() - passStarted);
        if (term.tty) {
          const live = liveLine(pass, current, elapsed, simulatedSinceStart(), term.width, liveVariant);
          if (live.variant === ABBREVIATED_VARIANT && liveVariant !== ABBREVIATED_VARIANT) term.print(ABBREVIATIONS);
          liveVariant = live.variant;
          term.status(live.line);
        } else if (done || Date.now() - lastPlain >= settings.progressMs) {
          term.print(plainLine(pass, current, `${elapsed}, simulated +${simulatedSinceStart()}`));
          lastPlain = Date.now();
        }
        if (done) {
          term.settle();
          return current;
        }
        await sleep(term.tty ? 200 : 250);
      }
    };

    term.print('Pass 1: starting the campaign (POST /campaigns/{id}/start)');
    campaignStartedAt = clock().getTime();
    await api.command(`/campaigns/${campaignId}/start`);
    const first = await follow(1);
    term.print(`Pass 1 done: ${counts(first.targets.by_state, TARGET_STATES, ', ')}.`);
    term.print();

    term.print('Pass 2: resuming the not_answered segment (POST /campaigns/{id}/resume)');
    const resumed = await api.command(`/campaigns/${campaignId}/resume`, { segment: 'not_answered' });
    term.print(
      `Resumed not_answered: ${resumed.selected_targets as number} targets selected -> ` +
        `scheduled_calls ${resumed.scheduled_calls as number}, queued_whatsapp ${resumed.queued_whatsapp as number}, ` +
        `skipped_existing_pending ${resumed.skipped_existing_pending as number}, ` +
        `skipped_missing_contact ${resumed.skipped_missing_contact as number}`,
    );
    const second = await follow(2);
    finished = true;
    clearTimeout(deadline);

    term.print(`Pass 2 done: ${counts(second.targets.by_state, TARGET_STATES, ', ')}.`);
    term.print(
      `Finished in ${duration(Date.now() - startedAt)} (the campaign ran ${simulatedSinceStart()} of simulated time): ${sum(second.calls)} calls, ` +
        `${sum(second.whatsapp_messages)} WhatsApp messages, ${second.targets.goal_met} of ${second.targets.total} targets met the goal.`,
    );
    term.print();
    term.print('Look around:');
    term.print(`  Campaign stats  ${shownBase}/campaigns/${campaignId}/stats  (send the X-API-Key header)`);
    term.print(`  API docs        ${shownBase}/docs`);
    term.print(
      config.ADMIN_USER && config.ADMIN_PASSWORD
        ? `  Bull Board      ${shownBase}/admin/queues  (${adminCredentials(config)})`
        : `  Bull Board      ${shownBase}/admin/queues  (not served: ADMIN_USER and ADMIN_PASSWORD are empty)`,
    );
    term.print(`  API key         ${key}  (organization "demo")`);
    term.print(`  Try             curl -s ${shownBase}/campaigns/${campaignId}/stats -H 'X-API-Key: ${key}'`);
    term.print(`                  curl -s '${shownBase}/campaigns/${campaignId}/calls?limit=5' -H 'X-API-Key: ${key}'`);

    if (settings.exitWhenDone) {
      await stop(0, 'DEMO_EXIT is set: stopping.');
      return;
    }
    term.print();
    term.print('The API and workers keep running so you can browse; Ctrl-C stops them.');
  } catch (error) {
    await stop(1, failureMessage(error));
  }
}

function speedPhrase(speed: number): string {
  if (speed % 60 === 0) return speed === 60 ? 'one simulated minute' : `${speed / 60} simulated minutes`;
  return `${speed} simulated seconds`;
}

/** The demo's own default is shown; a password the user chose is not echoed. */
function adminCredentials(config: Config): string {
  return process.env.ADMIN_PASSWORD === undefined
    ? `user ${config.ADMIN_USER}, password ${config.ADMIN_PASSWORD}: the demo's ADMIN_USER/ADMIN_PASSWORD`
    : `user ${config.ADMIN_USER} and your ADMIN_PASSWORD`;
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length) return messageOf(error.errors[0]);
  return error instanceof Error ? error.message || String((error as { code?: unknown }).code ?? error.name) : String(error);
}

function failureMessage(error: unknown): string {
  if (error instanceof DemoError) return error.message;
  return `The demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

main().catch((error: unknown) => {
  process.stdout.write(process.stdout.isTTY ? '\r\x1b[2K\x1b[?25h' : '');
  console.error(failureMessage(error));
  process.exit(1);
});

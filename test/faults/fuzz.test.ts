import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignInput } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';

// A fast-check fuzz of every endpoint: valid, nearly-valid and hostile bodies, paths, queries,
// headers and content types. Whatever comes, no answer is a 5xx, every error is `{"detail":
// string}` or the execution contract's 422 shape, and a refused request changes nothing in PostgreSQL
// (a digest of row counts and last update times per table, taken around each refusal).
//
// The API runs without workers and answers commands at once (COMMAND_WAIT_MS=0), so the
// database only changes while a request is handled: a change seen across a refused request is
// that request's doing. Bounded in count (RUNS × up to BATCH requests) and in time.

const RUNS = 250;
const BATCH = 16;
const MIN_REQUESTS = 2_000;
const TIME_LIMIT_MS = 50_000;

let t: TestSystem;
const ids = {
  campaigns: [] as string[],
  foreignCampaign: '',
  targets: [] as string[],
  calls: [] as string[],
  messages: [] as string[],
  commands: [] as string[],
};
let foreignKey = '';
let bearer = '';

beforeAll(async () => {
  t = await startTestSystem({ COMMAND_WAIT_MS: '0' }, 'api');
  const create = async (overrides: Record<string, unknown> = {}) => (await t.api('POST', '/campaigns', campaignInput(overrides))).json().id as string;
  for (const status of ['draft', 'paused', 'running', 'done'] as const) {
    const id = await create({ call_attempt_delays: [0, 30], whatsapp_channel_id: '5b1c1a52-53b4-4a39-8d0e-2f9d6f4b8c02' });
    await t.api('POST', `/campaigns/${id}/targets`, [
      { phone: `+1415555${status.length}00${ids.campaigns.length}`, whatsapp: '+14155550999', email: 'f@example.com' },
    ]);
    await t.prisma.campaign.update({ where: { id }, data: { status } });
    ids.campaigns.push(id);
  }
  const running = ids.campaigns[2]!;
  const targets = await t.prisma.target.findMany({ where: { campaignId: { in: ids.campaigns } } });
  ids.targets = targets.map((target) => target.id);
  const target = targets.find((row) => row.campaignId === running)!;
  for (const [attempt, status] of [
    [1, 'scheduled'],
    [2, 'dialing'],
  ] as const) {
    const call = await t.prisma.call.create({
      data: {
        campaignId: running,
        targetId: target.id,
        round: 1,
        attempt,
        roundAttempt: attempt,
        status,
        scheduledFor: new Date(),
        promotion: 1,
        promotedAt: new Date(),
      },
    });
    ids.calls.push(call.id);
  }
  const message = await t.prisma.whatsappMessage.create({
    data: { campaignId: running, targetId: target.id, round: 1, kind: 'first', scheduledFor: new Date(), promotion: 1, promotedAt: new Date() },
  });
  ids.messages.push(message.id);
  const started = await t.api('POST', `/campaigns/${ids.campaigns[0]}/start`);
  ids.commands.push(started.json().command_id);
  const foreign = await t.newOrganization();
  foreignKey = foreign.apiKey;
  ids.foreignCampaign = (
    await t.system.app!.inject({ method: 'POST', url: '/campaigns', headers: { 'x-api-key': foreignKey }, payload: campaignInput() })
  ).json().id;
  bearer = await t.bearer({ org: t.org.id.toUpperCase(), sub: 'fuzzer' });
});
afterAll(() => t?.close());

// ---------------------------------------------------------------- values

const hostileString = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '😀',
  'x'.repeat(2_001),
  '<script>',
  '%00',
  "'; DROP TABLE campaigns; --",
  '\\u0000',
);
const hostileNumber = fc.constantFrom(-1, 0, 1.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e308, -0);
const hostile = fc.oneof(hostileString, hostileNumber, fc.constantFrom(null, true, false, [], {}, [null], { a: {} }), fc.jsonValue({ maxDepth: 3 }));
const nested = (depth: number): unknown => (depth === 0 ? 1 : { n: nested(depth - 1) });
const variables = fc.oneof(
  fc.constant({}),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean()), { maxKeys: 4 }),
  fc.dictionary(fc.oneof(hostileString, fc.string({ unit: 'binary', maxLength: 6 })), hostile, { maxKeys: 3 }),
  fc.constantFrom(nested(40), { blob: 'x'.repeat(9_000) }),
);

/** A valid value, or now and then a hostile one in its place. */
const nearly = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: hostile });
const maybe = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined });

const uuidLike = fc.oneof(
  fc.uuid(),
  fc.uuid().map((id) => id.toUpperCase()),
  fc.constantFrom('not-a-uuid', '0b6f0d3e-8a41-4d4e-9a0e-3f1f6f1c2a1', ''),
);
const phone = fc.oneof(
  fc.integer({ min: 0, max: 9_999_999 }).map((n) => `+1202${String(n).padStart(7, '0')}`),
  fc.constantFrom('555-1234', '+0', ''),
);

const campaignBody = fc.record(
  {
    name: nearly(fc.string({ minLength: 1, maxLength: 30 })),
    agent_id: nearly(uuidLike),
    goal: nearly(fc.string({ maxLength: 40 })),
    call_opening_message: nearly(fc.string({ maxLength: 40 })),
    whatsapp_after_attempts: nearly(fc.integer({ min: 1, max: 10 })),
    call_attempt_delays: nearly(fc.array(nearly(fc.integer({ min: 0, max: 43_200 })), { maxLength: 25 })),
    goal_logic: nearly(fc.constantFrom('all', 'any')),
    first_contact_channel: nearly(fc.constantFrom('call', 'whatsapp')),
    goal_spec: nearly(
      fc.record({
        objectives: fc.array(fc.record({ type: fc.constantFrom('contact', 'email', 'ai'), min_count: nearly(fc.integer({ min: 1, max: 5 })) }), {
          maxLength: 22,
        }),
      }),
    ),
    call_working_hours: nearly(
      fc.record({
        start: fc.constantFrom('08:00', '09:30:00', '25:00', '9am'),
        end: fc.constantFrom('17:00', '08:00'),
        weekdays: fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 8 }),
      }),
    ),
    timezone: nearly(fc.constantFrom('UTC', 'Europe/Paris', 'Mars/Olympus')),
    blackout_dates: nearly(fc.array(fc.constantFrom('2026-12-25', '2027-02-29', '2026-13-01', 'tomorrow'), { maxLength: 4 })),
    max_calls_per_minute: nearly(fc.integer({ min: 0, max: 100 })),
    dispatch_expiry_minutes: nearly(fc.integer({ min: 0, max: 11_000 })),
  },
  { requiredKeys: [] },
);

const validCampaign = fc.record(
  {
    name: fc.string({ minLength: 1, maxLength: 30 }).filter((name) => name.trim().length > 0),
    agent_id: fc.uuid(),
    goal: fc.string({ maxLength: 40 }),
    call_attempt_delays: fc.array(fc.integer({ min: 0, max: 43_200 }), { maxLength: 20 }),
    timezone: fc.constantFrom('UTC', 'Europe/Paris', 'Asia/Tokyo'),
    blackout_dates: fc.uniqueArray(fc.constantFrom('2026-12-25', '2027-01-01', '2028-02-29'), { maxLength: 3 }),
    max_concurrent_calls: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  },
  { requiredKeys: ['name', 'agent_id'] },
);

const targetRow = fc.record(
  {
    customer_id: nearly(uuidLike),
    name: nearly(fc.string({ maxLength: 20 })),
    phone: nearly(phone),
    whatsapp: nearly(phone),
    email: nearly(fc.constantFrom('a@example.com', 'not-an-email')),
    timezone: nearly(fc.constantFrom('Europe/London', 'Nowhere/Zone')),
    variables: nearly(variables),
  },
  { requiredKeys: [] },
);

const csvBody = fc
  .array(fc.tuple(phone, fc.oneof(fc.string({ maxLength: 10 }), hostileString)), { maxLength: 8 })
  .map((rows) => ['phone,name,var_note', ...rows.map(([number, name]) => `${number},"${name.replaceAll('"', '""')}",x`)].join('\n'));
const ndjsonBody = fc
  .array(
    fc.oneof(
      targetRow.map((row) => JSON.stringify(row)),
      fc.constantFrom('{"phone":', '[]', ''),
    ),
    { maxLength: 8 },
  )
  .map((lines) => lines.join('\n'));
const rawJson = fc.constantFrom(
  '{"name": ',
  '[',
  'null',
  '"text"',
  '{"__proto__": {"x": 1}}',
  `{"a":${'['.repeat(3_000)}${']'.repeat(3_000)}}`,
  '{"name": 1e999}',
  '{"whatsapp_after_attempts": 99999999999999999999}',
);

type Body = { json: unknown } | { raw: string; type: string } | undefined;
const json = (value: fc.Arbitrary<unknown>): fc.Arbitrary<Body> => value.map((body) => ({ json: body }));
const anyBody: fc.Arbitrary<Body> = fc.oneof(
  json(hostile),
  rawJson.map((raw) => ({ raw, type: 'application/json' })),
  fc.constantFrom(
    { raw: 'a=b', type: 'application/x-www-form-urlencoded' },
    { raw: '<x/>', type: 'application/xml' },
    { raw: 'hi', type: 'text/plain' },
    { raw: '{}', type: 'application/json; charset=utf-16' },
  ),
  fc.constant(undefined),
);

// ---------------------------------------------------------------- routes

type Param = 'campaign' | 'target' | 'call' | 'message' | 'command';
interface Route {
  method: string;
  path: string;
  body?: fc.Arbitrary<Body>;
  query?: fc.Arbitrary<Record<string, string>>;
}

const limit = fc.oneof(fc.integer({ min: 1, max: 500 }).map(String), fc.constantFrom('0', '-1', '0x10', '1e3', 'abc', '', '501', '99999999999999999999', ' 7'));
const executionQuery = fc.record(
  { agent_id: fc.oneof(fc.constant(campaignInput().agent_id), uuidLike), obj_id: uuidLike, id: uuidLike, extra: fc.string({ maxLength: 5 }) },
  { requiredKeys: [] },
);
const pageQuery = fc.record({ limit, cursor: uuidLike }, { requiredKeys: [] });

const ROUTES: Route[] = [
  {
    method: 'POST',
    path: '/campaigns',
    body: fc.oneof(json(validCampaign), json(campaignBody.map((fields) => ({ ...campaignInput(), ...fields }))), json(campaignBody), anyBody),
  },
  { method: 'GET', path: '/campaigns', query: pageQuery },
  { method: 'GET', path: '/campaigns/:campaign' },
  { method: 'PATCH', path: '/campaigns/:campaign', body: fc.oneof(json(validCampaign), json(campaignBody), anyBody) },
  {
    method: 'POST',
    path: '/campaigns/:campaign/targets',
    body: fc.oneof(
      json(fc.array(fc.record({ phone, name: fc.string({ maxLength: 20 }), variables }, { requiredKeys: ['phone'] }), { maxLength: 6 })),
      json(fc.array(targetRow, { maxLength: 6 })),
      json(fc.array(hostile, { maxLength: 4 })),
      csvBody.map((raw) => ({ raw, type: 'text/csv' })),
      ndjsonBody.map((raw) => ({ raw, type: 'application/x-ndjson' })),
      fc.constantFrom({ raw: 'phone,nickname\n+14155550100,x', type: 'text/csv' }, { raw: 'phone\n"open', type: 'text/csv' }),
      anyBody,
    ),
  },
  { method: 'GET', path: '/campaigns/:campaign/targets', query: pageQuery },
  { method: 'GET', path: '/campaigns/:campaign/events', query: pageQuery },
  ...['start', 'pause', 'complete'].map((command) => ({
    method: 'POST',
    path: `/campaigns/:campaign/${command}`,
    query: executionQuery,
    body: fc.oneof(fc.constant(undefined), anyBody),
  })),
  {
    method: 'POST',
    path: '/campaigns/:campaign/resume',
    query: executionQuery,
    body: fc.oneof(json(fc.record({ segment: nearly(fc.constantFrom('not_answered', 'failed', 'goal_met')) }, { requiredKeys: [] })), anyBody),
  },
  { method: 'GET', path: '/commands/:command' },
  {
    method: 'POST',
    path: '/calls/:call/outcome',
    body: fc.oneof(
      json(
        fc.record(
          {
            status: nearly(fc.constantFrom('answered', 'no_answer', 'busy', 'ringing')),
            duration_s: nearly(fc.integer({ min: 0, max: 3_600 })),
            summary: nearly(fc.string({ maxLength: 30 })),
            ai_label: nearly(fc.constantFrom('positive', 'meh')),
            ai_score: nearly(fc.double({ min: 0, max: 1, noNaN: true })),
          },
          { requiredKeys: [] },
        ),
      ),
      anyBody,
    ),
  },
  {
    method: 'POST',
    path: '/calls/:call/claim',
    body: fc.oneof(json(fc.record({ promotion: nearly(fc.integer({ min: 0, max: 3 })) }, { requiredKeys: [] })), anyBody),
  },
  {
    method: 'POST',
    path: '/whatsapp-messages/:message/events',
    body: fc.oneof(json(fc.record({ event: nearly(fc.constantFrom('sent', 'delivered', 'read', 'replied', 'failed', 'opened')) })), anyBody),
  },
  {
    method: 'POST',
    path: '/campaigns/:campaign/targets/:target/events',
    body: fc.oneof(
      json(
        fc.record(
          {
            type: fc.constant('email_sent'),
            occurred_at: nearly(fc.constantFrom('2026-11-30T10:00:00Z', '0000-01-01T00:00:00Z', '2026-02-30T00:00:00Z', '+275760-09-13T00:00:00Z')),
          },
          { requiredKeys: ['type'] },
        ),
      ),
      json(
        fc.record({
          type: fc.constant('ai_evaluation'),
          label: nearly(fc.constantFrom('positive', 'negative')),
          score: nearly(fc.double({ min: -1, max: 2, noNaN: true })),
        }),
      ),
      anyBody,
    ),
  },
  {
    method: 'GET',
    path: '/campaigns/:campaign/calls',
    query: fc.record({ limit, status: fc.constantFrom('failed', 'ringing', ''), target_id: uuidLike }, { requiredKeys: [] }),
  },
  { method: 'GET', path: '/campaigns/:campaign/stats' },
  ...['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs/', '/admin/queues', '/nowhere', '/campaigns/x/y/z/w'].map((path) => ({ method: 'GET', path })),
];

const known = (param: Param): string[] =>
  ({ campaign: [...ids.campaigns, ids.foreignCampaign], target: ids.targets, call: ids.calls, message: ids.messages, command: ids.commands })[param];

const paramValue = (param: Param) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...known(param)) },
    { weight: 1, arbitrary: fc.constantFrom(...known(param)).map((id) => id.toUpperCase()) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: fc.constantFrom('not-a-uuid', '%00', '%E0%A4%A', 'a'.repeat(101), 'b'.repeat(300), '..', '%2F', '%F0%9F%98%80', '%20', 'null') },
  );

const credentials: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Record<string, string>>({}) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Record<string, string>>(
      { 'x-api-key': '' },
      { 'x-api-key': 'cek_wrong' },
      { authorization: 'Bearer not.a.jwt' },
      { authorization: 'Basic eDp5' },
    ),
  },
  { weight: 1, arbitrary: fc.constant<Record<string, string>>({ 'x-api-key': '' }).map(() => ({ 'x-api-key': foreignKey })) },
  { weight: 1, arbitrary: fc.constant<Record<string, string>>({}).map(() => ({ 'x-api-key': '', authorization: `Bearer ${bearer}` })) },
);
const extraHeaders = fc.record(
  {
    'idempotency-key': fc.oneof(fc.constantFrom('k1', 'k2', 'x'.repeat(300), ' '), fc.string({ minLength: 1, maxLength: 10 })),
    'x-request-id': fc.constantFrom('abc', 'x'.repeat(200), 'a b'),
  },
  { requiredKeys: [] },
);

interface Request {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Body;
}

const request: fc.Arbitrary<Request> = fc.constantFrom(...ROUTES).chain((route) => {
  const params = [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1] as Param);
  return fc
    .record({
      method: fc.oneof(
        { weight: 9, arbitrary: fc.constant(route.method) },
        { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD') },
      ),
      values: fc.tuple(...params.map(paramValue)),
      query: route.query ? maybe(route.query) : fc.constant(undefined),
      body: route.body ?? fc.constant(undefined),
      credentials,
      extra: extraHeaders,
    })
    .map(({ method, values, query, body, credentials: given, extra }) => {
      let index = 0;
      const path = route.path.replace(/:(\w+)/g, () => values[index++] as string);
      const search = query ? new URLSearchParams(query).toString() : '';
      return { method, url: search ? `${path}?${search}` : path, headers: { 'x-api-key': t.org.apiKey, ...given, ...extra }, body };
    });
});

// ---------------------------------------------------------------- checks

const TABLES = [
  'organizations',
  'api_keys',
  'campaigns',
  'targets',
  'calls',
  'whatsapp_messages',
  'email_events',
  'ai_evaluations',
  'campaign_events',
  'commands',
];
const WITH_UPDATES = new Set(['campaigns', 'targets', 'calls', 'whatsapp_messages']);

/** Row counts and the latest write of every table, in one cheap statement. */
async function digest(): Promise<string> {
  const parts = TABLES.map(
    (table) => `(SELECT count(*) || '/' || coalesce(max(${WITH_UPDATES.has(table) ? 'updated_at' : 'created_at'})::text, '-') FROM ${table}) AS ${table}`,
  );
  const [row] = await t.prisma.$queryRawUnsafe<Array<Record<string, string>>>(`SELECT ${parts.join(', ')}`);
  return JSON.stringify(row);
}

function send(req: Request): Promise<LightMyRequestResponse> {
  const { body } = req;
  const payload = body === undefined ? {} : 'json' in body ? { payload: JSON.stringify(body.json) ?? 'null' } : { payload: body.raw };
  const type = body === undefined ? {} : { 'content-type': 'json' in body ? 'application/json' : body.type };
  return t.system.app!.inject({ method: req.method as 'GET', url: req.url, headers: { ...req.headers, ...type }, ...payload });
}

function checkAnswer(req: Request, response: LightMyRequestResponse): void {
  const where = `${req.method} ${req.url.slice(0, 200)} → ${response.statusCode} ${response.body.slice(0, 300)}`;
  expect(response.statusCode, where).toBeLessThan(500);
  if (response.statusCode < 400 || req.method === 'HEAD') return;
  const body = JSON.parse(response.body) as { detail: unknown };
  expect(Object.keys(body), where).toEqual(['detail']);
  if (typeof body.detail === 'string') return;
  expect(response.statusCode, where).toBe(422);
  expect(Array.isArray(body.detail) && body.detail.length > 0, where).toBe(true);
  for (const item of body.detail as unknown[]) {
    const { loc, msg, type } = item as { loc: unknown[]; msg: unknown; type: unknown };
    expect(Object.keys(item as object).sort(), where).toEqual(['loc', 'msg', 'type']);
    expect(Array.isArray(loc) && loc.every((part) => typeof part === 'string' || Number.isInteger(part)), where).toBe(true);
    expect(typeof msg === 'string' && typeof type === 'string', where).toBe(true);
  }
}

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

describe('fuzzing every endpoint', () => {
  it(`answers ${MIN_REQUESTS}+ generated requests without a 5xx, in the documented error shapes, changing nothing when refusing`, async () => {
    const statuses = new Map<number, number>();
    let sent = 0;
    let before = await digest();
    // Refusals share one digest until a request that may write comes: the digest is taken
    // before it (checking the refusals) and after it when it was accepted. Reads never write,
    // so they do not split a run; if one did, the check below would name the run.
    let refused: Request[] = [];
    const checkRefusals = async () => {
      const after = await digest();
      const names = refused.map((req) => `${req.method} ${req.url.slice(0, 120)}`).join(' | ');
      expect(after, `state changed across refused requests: ${names}`).toBe(before);
      before = after;
      refused = [];
    };
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: BATCH / 2, maxLength: BATCH }), async (batch) => {
        for (const req of batch) {
          const writes = MUTATIONS.has(req.method);
          if (writes && refused.length > 0) await checkRefusals();
          const response = await send(req);
          sent++;
          statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
          checkAnswer(req, response);
          if (response.statusCode >= 400) refused.push(req);
          else if (writes) before = await digest();
        }
        if (refused.length > 0) await checkRefusals();
      }),
      { numRuns: RUNS, endOnFailure: true, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS)] },
    );
    console.log(`fuzz: ${sent} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    expect(sent).toBeGreaterThanOrEqual(MIN_REQUESTS);
    expect([...statuses.keys()].some((status) => status >= 200 && status < 300)).toBe(true);
    expect(statuses.get(422)).toBeGreaterThan(0);
  }, 120_000);
});

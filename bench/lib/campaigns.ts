import type { BenchSystem, Requester } from './system.js';

/** Campaign fixtures written straight into the database, and lifecycle commands timed over HTTP. */

const ZONES = ['Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'Asia/Kolkata', 'America/Los_Angeles'];

/**
 * Calls are allowed every hour of every day, so everything a start opens is due at once. The
 * campaign is the system's organization's unless `request` carries another organization's key.
 */
export async function createCampaign(system: BenchSystem, name: string, request: Requester = system.request): Promise<string> {
  const created = await request('POST', '/campaigns', {
    name,
    agent_id: '0b6f0d3e-8a41-4d4e-9a0e-3f1f6f1c2a10',
    call_working_hours: { start: '00:00', end: '23:59:59', weekdays: [1, 2, 3, 4, 5, 6, 7] },
  });
  if (created.status !== 201) throw new Error(`campaign not created: ${created.status} ${JSON.stringify(created.json)}`);
  return created.json.id as string;
}

/** A distinct phone number per index: +1555 and seven digits. */
export const phoneOf = (index: number) => `+1555${String(index).padStart(7, '0')}`;

/**
 * `count` targets with a phone across five time zones, inserted with one INSERT … SELECT. With
 * `afterOneRound` they look as after a first pass nobody answered: state `not_answered`, round 1
 * ended (one `no_answer` call each), idle for a minute.
 */
export async function insertTargets(system: BenchSystem, campaignId: string, count: number, options: { afterOneRound?: boolean } = {}): Promise<void> {
  const ended = options.afterOneRound ?? false;
  await system.pool.query(
    `INSERT INTO targets (id, campaign_id, phone, dedupe_key, timezone, state, round, last_attempt, idle_since, updated_at)
     SELECT uuid_generate_v7(), $1::uuid, p.phone, 'phone:' || p.phone, ($2::text[])[1 + g % ${ZONES.length}],
            $3::target_state, $4::int, $4::int, CASE WHEN $4::int > 0 THEN now() - interval '1 minute' END, now()
     FROM generate_series(1, $5::int) g, LATERAL (SELECT '+1555' || lpad(g::text, 7, '0') AS phone) p`,
    [campaignId, ZONES, ended ? 'not_answered' : 'not_contacted', ended ? 1 : 0, count],
  );
  if (ended) {
    await system.pool.query(
      `INSERT INTO calls (id, campaign_id, target_id, round, attempt, round_attempt, status, scheduled_for, ended_at, updated_at)
       SELECT uuid_generate_v7(), campaign_id, id, 1, 1, 1, 'no_answer', now() - interval '2 minutes', now() - interval '1 minute', now()
       FROM targets WHERE campaign_id = $1::uuid`,
      [campaignId],
    );
  }
}

/**
 * `count` targets in each of the campaigns (as insertTargets writes them, never had a round),
 * with one INSERT … SELECT.
 */
export async function insertTargetsOfEach(system: BenchSystem, campaignIds: string[], count: number): Promise<void> {
  await system.pool.query(
    `INSERT INTO targets (id, campaign_id, phone, dedupe_key, timezone, updated_at)
     SELECT uuid_generate_v7(), c.id, p.phone, 'phone:' || p.phone, ($2::text[])[1 + g % ${ZONES.length}], now()
     FROM unnest($1::uuid[]) c(id), generate_series(1, $3::int) g, LATERAL (SELECT '+1555' || lpad(g::text, 7, '0') AS phone) p`,
    [campaignIds, ZONES, count],
  );
}

export interface CommandRun {
  ms: number;
  status: number;
  /** It answered 202 and its result was polled. */
  polled: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** A lifecycle command, timed until it finished: its answer, or its result polled after a 202. */
export async function runCommand(
  system: BenchSystem,
  campaignId: string,
  command: 'start' | 'pause' | 'resume' | 'complete',
  body?: unknown,
): Promise<CommandRun> {
  const started = performance.now();
  const answer = await system.request('POST', `/campaigns/${campaignId}/${command}`, body);
  if (answer.status !== 202) return { ms: performance.now() - started, status: answer.status, polled: false, body: answer.json };
  const commandId = answer.json.command_id as string;
  const finished = await system.waitFor(
    `the ${command} command to finish`,
    async () => {
      const polled = await system.request('GET', `/commands/${commandId}`);
      return polled.json.result ?? undefined;
    },
    30 * 60_000,
    50,
  );
  return { ms: performance.now() - started, status: finished.status_code, polled: true, body: finished.body };
}

export function expectOk(run: CommandRun, what: string): CommandRun {
  if (run.status !== 200) throw new Error(`${what} answered ${run.status}: ${JSON.stringify(run.body)}`);
  return run;
}

/** Waits until the campaign's rollouts are all finished (every round they owe is open). */
export async function waitRolledOut(system: BenchSystem, campaignId: string, timeoutMs: number): Promise<void> {
  await system.waitFor(
    'every round to be opened',
    async () => {
      const { rows } = await system.pool.query<{ total: number; active: number }>(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE finished_at IS NULL)::int AS active FROM rollouts WHERE campaign_id = $1::uuid`,
        [campaignId],
      );
      return rows[0]!.total > 0 && rows[0]!.active === 0 ? true : undefined;
    },
    timeoutMs,
  );
}

/** Targets of the campaign whose round number is `round` (e.g. 0: never had a round). */
export async function targetsInRound(system: BenchSystem, campaignId: string, round: number): Promise<number> {
  const { rows } = await system.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM targets WHERE campaign_id = $1::uuid AND round = $2`, [
    campaignId,
    round,
  ]);
  return rows[0]!.n;
}

/** Waits until `count` calls of the campaign are answered and no target has work pending. */
export async function waitAllAnswered(system: BenchSystem, campaignId: string, count: number, timeoutMs: number): Promise<void> {
  await system.waitFor(
    `${count} calls answered with their rounds ended`,
    async () => {
      const { rows } = await system.pool.query<{ answered: number; pending: number }>(
        `SELECT (SELECT count(*)::int FROM calls WHERE campaign_id = $1::uuid AND status = 'answered') AS answered,
                (SELECT count(*)::int FROM targets WHERE campaign_id = $1::uuid AND has_pending) AS pending`,
        [campaignId],
      );
      return rows[0]!.answered >= count && rows[0]!.pending === 0 ? true : undefined;
    },
    timeoutMs,
    100,
  );
}

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { eventually } from '../support/poll.js';
import { createProcesses } from '../support/processes.js';
import { readQuickStart } from '../support/quickstart.js';

/**
 * The README's quick start, run as written: its files (campaign.json, targets.csv, dialer.mjs)
 * saved in a folder of the repository, its shell blocks run by bash with curl, and the dialer run
 * with `node` as the README says. The test system stands in for the two commands that set up the
 * system (`npm start` and the CLI's API key); it listens on its own port, which replaces
 * `localhost:3000`, and the dialer gets the system's Redis and prefix through the variables the
 * README names.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const quickStart = readQuickStart();
const run = promisify(execFile);

const processes = createProcesses();
let t: TestSystem;
let base: string;
let work: string;

beforeAll(async () => {
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '200' });
  await t.system.app!.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.system.app!.server.address() as AddressInfo).port}`;
  // The README has the reader save dialer.mjs in the repository folder, where bullmq resolves.
  await mkdir(join(ROOT, '.scratch'), { recursive: true });
  work = await mkdtemp(join(ROOT, '.scratch', 'quickstart-'));
});

afterAll(async () => {
  processes.killAll();
  await t?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The README's shell text for this system: its key and its address. */
const adapt = (script: string) => script.replaceAll('cek_...', t.org.apiKey).replaceAll('localhost:3000', base.replace('http://', ''));

/**
 * No startup files: a top-level bash whose stdin is a socket (Node's pipes are) reads the bashrc files as if
 * started by sshd, and those are rarely written for `-u`.
 */
const BASH = ['--norc', '--noprofile'];

/** Lines the test system stands in for. */
const STAND_INS = [/^npm start\s*$/, /^npm run cli -- api-key create --org \S+/];

/** Runs a shell block with the variables set so far; returns its output and the variables it set. */
async function shell(script: string, variables: Record<string, string>): Promise<{ output: string; variables: Record<string, string> }> {
  const names = [...script.matchAll(/^(?:export )?([A-Z_]+)=/gm)].map((match) => match[1]!);
  const report = names.map((name) => `printf '\\n@@%s=%s' ${name} "$${name}"`).join('\n');
  const { stdout } = await run('bash', [...BASH, '-euo', 'pipefail', '-c', `${adapt(script)}\n${report}`], {
    cwd: work,
    env: { ...process.env, ...variables },
    timeout: 20_000,
  });
  const set = Object.fromEntries([...stdout.matchAll(/^@@([A-Z_]+)=(.*)$/gm)].map((match) => [match[1]!, match[2]!]));
  return { output: stdout.replace(/\n?@@[A-Z_]+=.*$/gm, ''), variables: { ...variables, ...set } };
}

describe("the README's quick start", () => {
  it('creates the campaign and targets it shows, and its dialer calls every target until the campaign is done', { timeout: 60_000 }, async () => {
    for (const [name, content] of Object.entries(quickStart.files)) await writeFile(join(work, name), content);
    for (const name of ['campaign.json', 'targets.csv', 'dialer.mjs']) expect(quickStart.files, `README saves ${name}`).toHaveProperty(name);

    const lines = quickStart.shell.join('\n').split('\n');
    for (const standIn of STAND_INS)
      expect(
        lines.some((line) => standIn.test(line)),
        `README runs ${standIn}`,
      ).toBe(true);
    const blocks = quickStart.shell.map((block) =>
      block
        .split('\n')
        .filter((line) => !STAND_INS.some((standIn) => standIn.test(line)))
        .join('\n'),
    );
    const dialerAt = blocks.findIndex((block) => /\bnode dialer\.mjs\b/.test(block));
    const watchAt = blocks.length - 1;
    expect(dialerAt, 'README runs node dialer.mjs').toBeGreaterThan(0);
    expect(blocks[watchAt], 'the last block watches the stats').toMatch(/\/stats/);

    // Steps up to the dialer: the API key, the campaign, the targets.
    let variables: Record<string, string> = {};
    for (const block of blocks.slice(0, dialerAt)) ({ variables } = await shell(block, variables));

    const dialer = processes.start('bash', [...BASH, '-c', adapt(blocks[dialerAt]!)], {
      cwd: work,
      env: { ...process.env, ...variables, API_URL: base, REDIS_URL: t.config.REDIS_URL, QUEUE_PREFIX: t.config.QUEUE_PREFIX },
    });
    try {
      for (const block of blocks.slice(dialerAt + 1, watchAt)) ({ variables } = await shell(block, variables));
      const watched = await eventually(
        async () => {
          if (dialer.hasExited()) throw new Error(`dialer.mjs exited:\n${processes.tail(dialer.output())}`);
          return (await shell(blocks[watchAt]!, variables)).output;
        },
        (output) => output.includes('"status":"done"'),
        30_000,
        500,
      );
      const stats = JSON.parse(watched.trim().split('\n')[0]!);

      // Every CSV row was called once, with the opening message filled from its variables.
      const [header, ...rows] = quickStart.files['targets.csv']!.trim().split('\n');
      const columns = header!.split(',');
      const message = JSON.parse(quickStart.files['campaign.json']!).call_opening_message as string;
      const output = dialer.output();
      for (const row of rows) {
        const cells = Object.fromEntries(row.split(',').map((cell, index) => [columns[index]!, cell]));
        const filled = message.replace(/\{\{(\w+)\}\}/g, (_, name: string) => cells[`var_${name}`] ?? '');
        const line = `calling ${cells.phone}: "${filled}"`;
        expect(output.split(line).length - 1, `dialer.mjs should print ${line} once; it printed:\n${output}`).toBe(1);
      }
      // The output the README shows is what the dialer printed.
      for (const shown of quickStart.shown.flatMap((block) => block.split('\n')).filter((line) => line.startsWith('calling '))) {
        expect(output).toContain(shown);
      }
      expect(stats).toMatchObject({ targets: { total: rows.length }, calls: { answered: rows.length }, progress: 1 });
      // The stats the README shows are the stats a client gets, field for field.
      const shownStats = quickStart.shown.find((block) => block.trim().startsWith('{"targets"'));
      expect(shownStats, 'README shows the stats answer').toBeDefined();
      expect(stats).toEqual(JSON.parse(shownStats!));

      const campaigns = (await t.api('GET', '/campaigns')).json().items as Array<{ id: string; status: string }>;
      expect(campaigns).toEqual([expect.objectContaining({ id: variables.CAMPAIGN, status: 'done' })]);
    } finally {
      await processes.stop(dialer);
    }
  });
});

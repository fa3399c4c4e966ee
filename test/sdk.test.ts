import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from './support/harness.js';
import { fencedBlocks, readMarkdown } from './support/markdown.js';
import { createProcesses } from './support/processes.js';

/**
 * docs/sdk.md as a newcomer follows it: the package packed in the repository, installed in an
 * empty folder outside it, the page's tsconfig.json, campaign.ts and dialer.ts compiled there
 * against the installed package, and both programs run against a running system. The test
 * system stands in for `npm start` and the CLI's key; the programs get its address, Redis and
 * prefix through the variables the page names.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const page = fencedBlocks(readMarkdown('docs/sdk.md'));
const files = Object.fromEntries(page.flatMap((block) => (block.name ? [[block.name, block.content]] : [])));
const commands = page.filter((block) => block.lang === 'sh').flatMap((block) => block.content.trim().split('\n'));
const shown = page.filter((block) => block.lang === 'text').map((block) => block.content);
const run = promisify(execFile);
// The packages are in npm's cache after the repository's own `npm ci`.
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund'];

const processes = createProcesses();
let t: TestSystem;
let work: string;
let tarball: string | undefined;

beforeAll(async () => {
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '200' });
  await t.system.app!.listen({ port: 0, host: '127.0.0.1' });
  work = await mkdtemp(join(tmpdir(), 'cesdk-'));
});

afterAll(async () => {
  processes.killAll();
  await t?.close();
  if (work) await rm(work, { recursive: true, force: true });
  if (tarball) await rm(join(ROOT, tarball), { force: true });
});

/** The page's command that starts with `prefix`, split into words. */
function command(prefix: string): string[] {
  const found = commands.find((line) => line.startsWith(prefix));
  if (!found) throw new Error(`docs/sdk.md shows no command starting with "${prefix}"`);
  return found.replace(/\s+#.*$/, '').split(/\s+/);
}

describe('docs/sdk.md', () => {
  it('packs the package, installs it outside the repository, and its programs compile and run a campaign', { timeout: 240_000 }, async () => {
    expect(Object.keys(files).sort()).toEqual(['campaign.ts', 'dialer.ts', 'tsconfig.json']);

    const [, ...pack] = command('npm run sdk:pack');
    const { stdout } = await run('npm', pack, { cwd: ROOT, timeout: 120_000 });
    tarball = stdout.trim().split('\n').at(-1)!;
    expect(tarball).toMatch(/^campaign-execution-backend-[\d.]+\.tgz$/);

    await writeFile(join(work, 'package.json'), JSON.stringify({ name: 'my-campaigns', private: true, type: 'module' }));
    for (const [name, content] of Object.entries(files)) await writeFile(join(work, name), content);
    const [, ...install] = command('npm install /path/to/the/repository/');
    expect(install.at(-1)).toBe(`/path/to/the/repository/${tarball}`);
    await run('npm', [...install.slice(0, -1), join(ROOT, tarball), ...NPM_FLAGS], { cwd: work, timeout: 120_000 });
    const [, ...typescript] = command('npm install -D typescript');
    await run('npm', [...typescript, ...NPM_FLAGS], { cwd: work, timeout: 120_000 });

    // Compiled against the installed package's types: a missing export or a wrong type fails here.
    const [, ...compile] = command('npx tsc');
    await run('npx', compile, { cwd: work, timeout: 120_000 }).catch((error: { stdout?: string }) => {
      throw new Error(`tsc failed in ${work}:\n${error.stdout}`);
    });

    const env = {
      ...process.env,
      API_URL: `http://127.0.0.1:${(t.system.app!.server.address() as AddressInfo).port}`,
      REDIS_URL: t.config.REDIS_URL,
      QUEUE_PREFIX: t.config.QUEUE_PREFIX,
      CAMPAIGN_API_KEY: t.org.apiKey,
    };
    expect(command('node dist/dialer.js')).toEqual(['node', 'dist/dialer.js', '&']);
    const dialer = processes.start('node', ['dist/dialer.js'], { cwd: work, env });
    try {
      const [, ...campaign] = command('CAMPAIGN_API_KEY=cek_... node');
      const result = await run(campaign[0]!, campaign.slice(1), { cwd: work, env, timeout: 90_000 });
      expect(result.stdout).toBe(shown.at(-1));
    } finally {
      await processes.stop(dialer);
    }
    expect(dialer.output()).toMatch(/calling \+14155550101, attempt 2/);
  });
});

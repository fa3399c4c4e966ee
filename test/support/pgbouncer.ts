import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
import { inject } from 'vitest';
import { ensureDebianPackage } from './debian-packages.js';
import { spawnOwned } from './processes.js';

const PGBOUNCER_PATH = '/usr/sbin/pgbouncer';

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A PgBouncer of the test's own, in transaction pooling mode, in front of the test run's
 * PostgreSQL server, configured as docs/operations.md tells a production PgBouncer to be:
 * the system's startup options ignored and set by `connect_query` instead. `via(url)` reaches a
 * database through it. It runs as `postgres` when the tests run as root (PgBouncer refuses root).
 */
export async function startPgbouncer(log?: (line: string) => void) {
  await ensureDebianPackage({ path: PGBOUNCER_PATH, name: 'pgbouncer', purpose: 'the PgBouncer test', versionArgs: ['--version'] }, log);
  const server = new URL(inject('databaseServerUrl'));
  const port = await getPort();
  const dir = mkdtempSync(join(tmpdir(), 'cetest-pgbouncer-'));
  chmodSync(dir, 0o777);
  const user = decodeURIComponent(server.username || 'postgres');
  const config = join(dir, 'pgbouncer.ini');
  writeFileSync(
    config,
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432} user=${user} connect_query='SET jit = off; SET random_page_cost = 1.1'`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = any',
      'pool_mode = transaction',
      'ignore_startup_parameters = extra_float_digits,options',
      'max_client_conn = 1000',
      'default_pool_size = 20',
      '',
    ].join('\n'),
  );
  chmodSync(config, 0o644);
  const output: string[] = [];
  const asRoot = process.getuid?.() === 0;
  const bouncer = spawnOwned(PGBOUNCER_PATH, [...(asRoot ? ['-u', 'postgres'] : []), config], { output: (chunk) => output.push(chunk) });
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (!bouncer.running()) throw new Error(`pgbouncer exited at start: ${output.join('').trim()}`);
    if (Date.now() > deadline) throw new Error(`pgbouncer on port ${port} did not listen within 10 s: ${output.join('').trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    port,
    via: (url: string) => {
      const through = new URL(url);
      through.hostname = '127.0.0.1';
      through.port = String(port);
      return through.toString();
    },
    stop: () => bouncer.kill('SIGKILL'),
  };
}

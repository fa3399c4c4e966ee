import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
import { Redis } from 'ioredis';
import { until } from './poll.js';
import { ephemeralServerArgs } from './redis-server.js';
import { spawnOwned, type OwnedProcess } from './processes.js';

export const SENTINEL_NAME = 'campaigns-primary';
const REPLICATION_USER = 'replicator';
const REPLICATION_PASSWORD = 'replication-password';

/** One question to one server, on a connection of its own. */
async function ask<T>(port: number, password: string, question: (node: Redis) => Promise<T>): Promise<T> {
  const node = new Redis({ port, host: '127.0.0.1', password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  node.on('error', () => undefined); // refused until the server listens
  try {
    await node.connect();
    return await question(node);
  } finally {
    node.disconnect();
  }
}

/**
 * Redis behind Sentinel, of the test's own: a primary and a replica (both with `password`) and
 * three sentinels (with `sentinelPassword`) watching the primary as `SENTINEL_NAME`, quick to
 * fail over (a primary that does not answer for a second is down). Sentinels run as
 * `redis-server <config> --sentinel`, the program Debian's redis-sentinel package starts. Every
 * process is stopped by pid.
 */
export async function startRedisSentinel(password: string, sentinelPassword: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cetest-sentinel-'));
  const [primaryPort, replicaPort, ...sentinelPorts] = await Promise.all(Array.from({ length: 5 }, () => getPort()));
  const data = (port: number, extra: string[]) =>
    spawnOwned('redis-server', [...ephemeralServerArgs(port, dir), '--requirepass', password, '--masterauth', password, ...extra]);
  const servers = new Map<number, OwnedProcess>();
  servers.set(primaryPort!, data(primaryPort!, []));
  // The replica replicates as a user of its own, so a test can cut replication by disabling that
  // user (the writes the primary takes then are the ones a failover loses); until the primary
  // has the user, the replica retries.
  servers.set(
    replicaPort!,
    data(replicaPort!, ['--replicaof', '127.0.0.1', String(primaryPort), '--masteruser', REPLICATION_USER, '--masterauth', REPLICATION_PASSWORD]),
  );
  for (const port of sentinelPorts) {
    const config = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `requirepass ${sentinelPassword}`,
        `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primaryPort} 2`,
        `sentinel auth-pass ${SENTINEL_NAME} ${password}`,
        `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_NAME} 5000`,
        '',
      ].join('\n'),
    );
    servers.set(port, spawnOwned('redis-server', [config, '--sentinel']));
  }
  const stop = () => Promise.all([...servers.values()].map((server) => server.kill('SIGKILL')));
  try {
    await until('the primary to take the replication user', async () =>
      ask(primaryPort!, password, (node) =>
        node.call('ACL', 'SETUSER', REPLICATION_USER, 'on', `>${REPLICATION_PASSWORD}`, '+psync', '+sync', '+replconf', '+ping'),
      )
        .then(() => true)
        .catch(() => false),
    );
    await until('the replica to sync with the primary', async () =>
      /master_link_status:up/.test(await ask(replicaPort!, password, (node) => node.info('replication'))),
    );
    for (const port of sentinelPorts) {
      await until(`sentinel ${port} to see the primary and its replica`, async () => {
        const replicas = await ask(port, sentinelPassword, (node) => node.call('SENTINEL', 'REPLICAS', SENTINEL_NAME) as Promise<unknown[]>);
        return replicas.length === 1;
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    /** As REDIS_SENTINELS takes them. */
    sentinels: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
    /** As ioredis's `sentinels` option takes them. */
    sentinelNodes: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
    primaryPort: primaryPort!,
    replicaPort: replicaPort!,
    /** The primary's port as the sentinels name it now. */
    primary: async () =>
      Number(
        (await ask(sentinelPorts[0]!, sentinelPassword, (node) => node.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_NAME) as Promise<string[]>))[1],
      ),
    /** Cuts the replica off its primary (the primary goes on taking writes). */
    cutReplication: () =>
      ask(primaryPort!, password, async (node) => {
        await node.call('ACL', 'SETUSER', REPLICATION_USER, 'off');
        await node.call('CLIENT', 'KILL', 'USER', REPLICATION_USER);
      }),
    /** Bytes of the replication stream the primary has and the replica does not. */
    replicationLag: async () => {
      const offset = (info: string, field: string) => Number(new RegExp(`${field}:(\\d+)`).exec(info)?.[1] ?? 0);
      const [primary, replica] = await Promise.all([
        ask(primaryPort!, password, (node) => node.info('replication')),
        ask(replicaPort!, password, (node) => node.info('replication')),
      ]);
      return offset(primary, 'master_repl_offset') - offset(replica, 'master_repl_offset');
    },
    /** Kills one data server (SIGKILL, as a crash would). */
    kill: (port: number) => servers.get(port)!.kill('SIGKILL'),
    stop,
  };
}

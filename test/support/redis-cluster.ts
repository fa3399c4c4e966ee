import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import getPort from 'get-port';
import { Redis } from 'ioredis';
import { until } from './poll.js';
import { ephemeralServerArgs } from './redis-server.js';
import { spawnOwned, type OwnedProcess } from './processes.js';

const run = promisify(execFile);

async function clusterState(port: number): Promise<string> {
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  probe.on('error', () => undefined); // refused until the server listens
  try {
    const info = await probe.cluster('INFO');
    return /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
  } catch {
    return 'down';
  } finally {
    probe.disconnect();
  }
}

/**
 * A Redis Cluster of the test's own: `primaries` nodes on free ports (redis-server with
 * cluster mode, nothing kept on disk but each node's cluster file), joined by
 * `redis-cli --cluster create`, the slots spread evenly. Stopped by pid.
 */
export async function startRedisCluster(primaries = 3) {
  const dir = mkdtempSync(join(tmpdir(), 'cetest-cluster-'));
  const ports: number[] = [];
  for (let i = 0; i < primaries; i++) ports.push(await getPort());
  const nodes: OwnedProcess[] = ports.map((port) =>
    spawnOwned('redis-server', [...ephemeralServerArgs(port, dir), '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`)]),
  );
  const stop = () => Promise.all(nodes.map((node) => node.kill('SIGKILL')));
  try {
    await Promise.all(ports.map((port) => until(`redis-server on port ${port} to listen`, async () => (await clusterState(port)) !== 'down')));
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes']);
    await Promise.all(ports.map((port) => until(`node ${port} to see the cluster ok`, async () => (await clusterState(port)) === 'ok')));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    ports,
    /** The seed list as REDIS_CLUSTER_NODES takes it. */
    nodes: ports.map((port) => `127.0.0.1:${port}`).join(','),
    /** The keys matching `pattern` on every node. */
    keys: async (pattern: string) =>
      (
        await Promise.all(
          ports.map(async (port) => {
            const node = new Redis({ port, host: '127.0.0.1' });
            try {
              return await node.keys(pattern);
            } finally {
              node.disconnect();
            }
          }),
        )
      ).flat(),
    /** How many keys each node holds. */
    keysPerNode: async () =>
      Promise.all(
        ports.map(async (port) => {
          const node = new Redis({ port, host: '127.0.0.1' });
          try {
            return await node.dbsize();
          } finally {
            node.disconnect();
          }
        }),
      ),
    stop,
  };
}

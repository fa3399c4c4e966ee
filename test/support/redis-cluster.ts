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
const REPLICATION_USER = 'replicator';
const REPLICATION_PASSWORD = 'replication-password';

/** One question to one node, on a connection of its own; undefined while the node does not answer. */
async function ask<T>(port: number, question: (node: Redis) => Promise<T>): Promise<T | undefined> {
  const node = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  node.on('error', () => undefined); // refused until the server listens, and after it is killed
  try {
    await node.connect();
    return await question(node);
  } catch {
    return undefined;
  } finally {
    node.disconnect();
  }
}

const clusterState = async (port: number) => (await ask(port, async (node) => /cluster_state:(\w+)/.exec(await node.cluster('INFO'))?.[1])) ?? 'down';

export interface ClusterOptions {
  primaries?: number;
  /** Replicas of each primary. */
  replicas?: number;
  /** How long a node may not answer before the others count it failed (a replica then takes over). */
  nodeTimeoutMs?: number;
}

/**
 * A Redis Cluster of the test's own: `primaries` nodes (and `replicas` of each) on free ports,
 * redis-server in cluster mode keeping nothing on disk but each node's cluster file, joined by
 * `redis-cli --cluster create`, the slots spread evenly. Every node is stopped by pid.
 */
export async function startRedisCluster({ primaries = 3, replicas = 0, nodeTimeoutMs = 15_000 }: ClusterOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cetest-cluster-'));
  const ports: number[] = [];
  for (let i = 0; i < primaries * (1 + replicas); i++) ports.push(await getPort());
  const nodes = new Map<number, OwnedProcess>(
    ports.map((port) => [
      port,
      spawnOwned('redis-server', [
        ...ephemeralServerArgs(port, dir),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        String(nodeTimeoutMs),
        // Replicas replicate as a user of their own, so a test can cut a primary's replication.
        '--masteruser',
        REPLICATION_USER,
        '--masterauth',
        REPLICATION_PASSWORD,
      ]),
    ]),
  );
  const stop = () => Promise.all([...nodes.values()].map((node) => node.kill('SIGKILL')));
  const live = () => ports.filter((port) => nodes.get(port)!.running());
  /** Each node's role as the node itself says. */
  const roles = async () => new Map(await Promise.all(live().map(async (port) => [port, (await ask(port, (node) => node.role()))?.[0]] as const)));
  try {
    await Promise.all(ports.map((port) => until(`redis-server on port ${port} to listen`, async () => (await clusterState(port)) !== 'down')));
    for (const port of ports) {
      await ask(port, (node) => node.call('ACL', 'SETUSER', REPLICATION_USER, 'on', `>${REPLICATION_PASSWORD}`, '+psync', '+sync', '+replconf', '+ping'));
    }
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes']);
    await Promise.all(ports.map((port) => until(`node ${port} to see the cluster ok`, async () => (await clusterState(port)) === 'ok')));
    await until('every replica to sync with its primary', async () => {
      const synced = await Promise.all(
        ports.map(async (port) => {
          const replication = (await ask(port, (node) => node.info('replication'))) ?? '';
          return /role:master/.test(replication) || /master_link_status:up/.test(replication);
        }),
      );
      return synced.every(Boolean);
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    ports,
    /** The seed list as REDIS_CLUSTER_NODES takes it. */
    nodes: ports.map((port) => `127.0.0.1:${port}`).join(','),
    /** The keys matching `pattern` on every live primary. */
    keys: async (pattern: string) => {
      const primaryPorts = [...(await roles())].filter(([, role]) => role === 'master').map(([port]) => port);
      return (await Promise.all(primaryPorts.map(async (port) => (await ask(port, (node) => node.keys(pattern))) ?? []))).flat();
    },
    /** How many keys each live primary holds. */
    keysPerPrimary: async () => {
      const primaryPorts = [...(await roles())].filter(([, role]) => role === 'master').map(([port]) => port);
      return Promise.all(primaryPorts.map(async (port) => (await ask(port, (node) => node.dbsize())) ?? 0));
    },
    /** The port of the primary serving `key`'s slot now, as a live node sees the cluster. */
    primaryOf: async (key: string) => {
      for (const port of live()) {
        const owner = await ask(port, async (node) => {
          const slot = Number(await node.cluster('KEYSLOT', key));
          const range = (await node.cluster('SLOTS')).find(([from, to]) => from <= slot && slot <= to);
          return range?.[2]?.[1];
        });
        if (owner !== undefined) return owner;
      }
      throw new Error('no live node of the cluster answers');
    },
    /** Cuts a primary's replicas off it (it goes on taking writes, which a failover then loses). */
    cutReplication: (port: number) =>
      ask(port, async (node) => {
        await node.call('ACL', 'SETUSER', REPLICATION_USER, 'off');
        await node.call('CLIENT', 'KILL', 'USER', REPLICATION_USER);
      }),
    /** Kills one node (SIGKILL, as a crash). */
    kill: (port: number) => nodes.get(port)!.kill('SIGKILL'),
    roles,
    stop,
  };
}

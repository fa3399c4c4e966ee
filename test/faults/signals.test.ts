import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/poll.js';
import { createProcessFixture, type ProcessFixture } from '../support/process-fixture.js';
import { liveProcessesOf, spawnOwned, stopOwnedProcesses } from '../support/processes.js';
import { systemEnv } from '../support/system-process.js';

/**
 * A supervisor (systemd, a container runtime, a process manager) signals the process it
 * started, here `npm start`, or the system process under it: either way the whole system
 * stops gracefully (src/main.ts) and nothing of the tree is left running.
 */

let fixture: ProcessFixture | undefined;

afterEach(async () => {
  try {
    await fixture?.close();
  } finally {
    await stopOwnedProcesses();
    fixture = undefined;
  }
});

describe('SIGTERM to `npm start`', () => {
  it.each(['npm', 'node'] as const)('sent to the %s process stops the system gracefully with exit 0 and leaves no process behind', async (target) => {
    const f = (fixture = await createProcessFixture());
    const port = await getPort();
    let output = '';
    const npm = spawnOwned('npm', ['start'], {
      env: { ...systemEnv({ databaseUrl: f.databaseUrl, redisUrl: f.redisUrl, prefix: f.prefix }), HOME: process.env.HOME, PORT: String(port) },
      output: (chunk) => (output += chunk),
    });
    await eventually(
      async () => {
        if (!npm.running()) throw new Error(`npm start exited at start:\n${output}`);
        return fetch(`http://127.0.0.1:${port}/healthz`).then(
          (response) => response.status,
          () => 0,
        );
      },
      (status) => status === 200,
      60_000,
    );
    const tree = liveProcessesOf(new Set([npm.pid]));
    const system = tree.find((entry) => entry.command.includes('src/main.ts'));
    expect(system, JSON.stringify(tree)).toBeDefined();

    process.kill(target === 'npm' ? npm.pid : system!.pid, 'SIGTERM');

    expect(await npm.exited).toBe(0);
    // Each process of the tree (the npm process's group) is gone, the system process included.
    await eventually(
      async () => liveProcessesOf(new Set([npm.pid])),
      (left) => left.length === 0,
      10_000,
    );
    expect(output).toContain('"msg":"shutting down"');
    expect(output).toContain('"msg":"shut down cleanly"');
    // It stopped listening.
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});

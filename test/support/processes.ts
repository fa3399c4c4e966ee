import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

/**
 * Every process a test starts (redis-server, system processes) leads its own process group:
 * teardown kills the group. Each group is also written to the run's ledger (a file named after
 * the run's id), so the end of the run (test/support/global-setup.ts) can find any process of a
 * group that is still alive, whichever test file forgot it. (A mark in the environment would not
 * do: redis-server overwrites its environment block with its process title.)
 */
const ledgerPath = (runId: string) => join(tmpdir(), `cetest-processes-${runId}.jsonl`);

function recordGroup(group: number, command: string[]): void {
  appendFileSync(ledgerPath(inject('testRunId')), `${JSON.stringify({ group, command: command.join(' ') })}\n`);
}

export interface OwnedProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  running(): boolean;
  /** Signals the whole process group (what is left of it) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const owned = new Set<OwnedProcess>();

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  /** Called with each chunk of stdout and stderr; by default the output is discarded. */
  output?: (chunk: string, stream: 'stdout' | 'stderr') => void;
}

export function spawnOwned(command: string, args: string[], options: SpawnOptions = {}): OwnedProcess {
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', options.output ? 'pipe' : 'ignore', options.output ? 'pipe' : 'ignore'],
    env: options.env ?? process.env,
  });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  recordGroup(child.pid, [command, ...args]);
  if (options.output) {
    child.stdout!.on('data', (chunk: Buffer) => options.output!(chunk.toString(), 'stdout'));
    child.stderr!.on('data', (chunk: Buffer) => options.output!(chunk.toString(), 'stderr'));
  }
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  const pid = child.pid;
  const process_: OwnedProcess = {
    child,
    pid,
    exited,
    running: () => exitCode === undefined,
    kill: async (signal = 'SIGKILL') => {
      // A leader that exited may have left processes in its group (a shell that died of a
      // signal before its child): they are killed too.
      if (exitCode === undefined || liveProcessesOf(new Set([pid])).length > 0) {
        try {
          process.kill(-pid, signal);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
        }
        await exited;
      }
      owned.delete(process_);
    },
  };
  owned.add(process_);
  return process_;
}

/** Kills every process this test file started that is still running (teardown, success or failure). */
export async function stopOwnedProcesses(): Promise<void> {
  await Promise.all([...owned].map((process_) => process_.kill('SIGKILL')));
}

/** Live processes (zombies aside) of the groups in the run's ledger; the ledger is removed. */
export function processesLeftBy(runId: string): Array<{ pid: number; command: string }> {
  const path = ledgerPath(runId);
  if (!existsSync(path)) return [];
  const groups = new Set(
    readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { group: number }).group),
  );
  rmSync(path);
  return liveProcessesOf(groups);
}

/** Live processes (zombies aside) whose process group is one of `groups`. */
export function liveProcessesOf(groups: ReadonlySet<number>): Array<{ pid: number; command: string }> {
  const found: Array<{ pid: number; command: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command (which may hold spaces) : state ppid pgrp ...
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' || !groups.has(Number(group))) continue;
      found.push({ pid: Number(entry), command: readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').join(' ').trim() });
    } catch {
      // The process exited while being read.
    }
  }
  return found;
}

/**
 * Child processes of a test, each in its own process group (`detached`), so that stopping one
 * stops everything it started (npm → sh → tsx → node). `killAll` in teardown, on success and
 * failure alike.
 */

export interface Service {
  child: ChildProcess;
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
}

const tail = (text: string, lines = 40) => text.trimEnd().split('\n').slice(-lines).join('\n');

export function createProcesses() {
  const started = new Set<ChildProcess>();

  const signalGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // ESRCH: the whole group is gone already.
    }
  };

  const groupAlive = (child: ChildProcess) => {
    try {
      process.kill(-child.pid!, 0);
      return true;
    } catch {
      return false;
    }
  };

  /** A long-running process; its output is kept for assertions and error messages. */
  function start(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Service {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    started.add(child);
    if (child.pid !== undefined) recordGroup(child.pid, [command, ...args]);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let exitedAlready = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        exitedAlready = true;
        resolve({ code, signal });
      });
    });
    exited.catch(() => undefined);
    return { child, output: () => output, exited, hasExited: () => exitedAlready };
  }

  /** Runs a command to its end; throws with the output's tail when it fails or overruns. */
  async function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<string> {
    const service = start(command, args, options);
    const timer = setTimeout(() => signalGroup(service.child, 'SIGKILL'), options.timeoutMs);
    try {
      const { code, signal } = await service.exited;
      if (code !== 0) {
        const why = signal ? `was killed by ${signal}${signal === 'SIGKILL' ? ` (over ${options.timeoutMs} ms?)` : ''}` : `exited with ${code}`;
        throw new Error(`\`${[command, ...args].join(' ')}\` ${why}:\n${tail(service.output())}`);
      }
      return service.output();
    } finally {
      clearTimeout(timer);
      signalGroup(service.child, 'SIGKILL'); // anything it left behind in its group
    }
  }

  /** Sends `signal` to the process group and waits until the group is gone (SIGKILL after the bound). */
  async function stop(service: Service, signal: NodeJS.Signals = 'SIGTERM', boundMs = 15_000) {
    signalGroup(service.child, signal);
    const deadline = Date.now() + boundMs;
    while (groupAlive(service.child) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    if (groupAlive(service.child)) signalGroup(service.child, 'SIGKILL');
    return service.exited;
  }

  /** Teardown: every process group still alive is killed. */
  function killAll() {
    for (const child of started) signalGroup(child, 'SIGKILL');
  }

  return { start, run, stop, killAll, tail };
}

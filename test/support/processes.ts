import { spawn, type ChildProcess } from 'node:child_process';

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

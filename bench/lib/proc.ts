import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { BenchSystem } from './system.js';

/** Linux process accounting read from /proc: CPU time and resident memory of any local pid. */

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** User + system CPU the process has used so far, in milliseconds (null once it is gone). */
export function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** A memory line of /proc/<pid>/status in bytes: VmRSS now, VmHWM the peak so far. */
export function memoryBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((text) => text.startsWith(`${field}:`));
    return line ? Number(line.split(/\s+/)[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * CPU used by a set of processes between `start()` and `stop()`, in milliseconds. `pids` is read
 * at both ends: a process seen only at the end was born in between and counts whole; one that
 * exited in between took its time with it (long-lived pools and children make that rare).
 */
export function cpuMeter(pids: () => Promise<number[]> | number[]) {
  let before = new Map<number, number>();
  const read = async () => {
    const now = new Map<number, number>();
    for (const pid of await pids()) {
      const ms = cpuMs(pid);
      if (ms !== null) now.set(pid, ms);
    }
    return now;
  };
  return {
    async start() {
      before = await read();
    },
    async stop(): Promise<number> {
      let total = 0;
      for (const [pid, ms] of await read()) total += ms - (before.get(pid) ?? 0);
      return total;
    },
  };
}

/** The pid, when it is a local process of that name (a server in a container is not visible). */
export function localPid(pid: number, command: string): number | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim().startsWith(command) ? pid : null;
  } catch {
    return null;
  }
}

/**
 * CPU per process type between start and stop: the system's API processes, its worker processes,
 * its backends, Redis (the whole server, when it runs here), and this process under the name `own`.
 */
export async function systemCpuMeter(system: BenchSystem, own: string) {
  const redisPid = Number(/process_id:(\d+)/.exec(await system.redis.info('server'))?.[1]);
  const meters = {
    worker: cpuMeter(() => system.pids().worker),
    api: cpuMeter(() => system.pids().api),
    postgres: cpuMeter(() => system.postgresPids()),
    redis: cpuMeter(() => (localPid(redisPid, 'redis-server') ? [redisPid] : [])),
  };
  let ownBefore = process.cpuUsage();
  return {
    start: async () => {
      for (const meter of Object.values(meters)) await meter.start();
      ownBefore = process.cpuUsage();
    },
    stop: async () => {
      const used = process.cpuUsage(ownBefore);
      const spent: Record<string, number> = {};
      for (const [name, meter] of Object.entries(meters)) spent[name] = await meter.stop();
      spent[own] = (used.user + used.system) / 1000;
      return spent;
    },
  };
}

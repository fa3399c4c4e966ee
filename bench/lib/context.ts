/** What every case gets from the runner. */
export interface RunContext {
  quick: boolean;
  /** Children run with --cpu-prof (profiles in bench/results/profiles). */
  profile: boolean;
  /** The peak RSS of every worker process the run started, with the case it served. */
  workerPeaks: { case: string; bytes: number }[];
  /** The smallest size with --quick, the one given with --size, else all of them. */
  sizes(all: number[]): number[];
  /** A bare reference measured once per run and key (e.g. INSERT … SELECT of n rows). */
  once<T>(key: string, measure: () => Promise<T>): Promise<T>;
  log(line: string): void;
  /** Printed under the table and kept in latest.json (e.g. a format the API does not take). */
  notes: string[];
}

export function createContext(options: { quick: boolean; profile: boolean; size?: number | undefined }): RunContext {
  const memo = new Map<string, Promise<unknown>>();
  const started = performance.now();
  return {
    quick: options.quick,
    profile: options.profile,
    workerPeaks: [],
    notes: [],
    sizes: (all) => (options.size ? [options.size] : options.quick ? [Math.min(...all)] : all),
    once: <T>(key: string, measure: () => Promise<T>) => {
      if (!memo.has(key)) memo.set(key, measure());
      return memo.get(key) as Promise<T>;
    },
    log: (line) => console.error(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const seconds = (ms: number) => ms / 1000;

import { runCli } from '../../src/cli-commands.js';

/**
 * Runs a CLI command in this process and returns the lines it printed (test/config.test.ts runs
 * the entry itself as a process, for its exit code and stderr).
 */
export async function cliOutput(argv: string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const lines: string[] = [];
  await runCli(argv, { print: (line) => lines.push(line), env });
  return lines;
}

import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command; resolves with its stdout, rejects with an error that carries the output's tail. */
export function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const tail = `${stdout}${stderr}`.trim().split('\n').slice(-20).join('\n');
      reject(new Error(`${command} ${args.join(' ')} failed (${error.message.split('\n')[0]}):\n${tail}`));
    });
  });
}

export interface DebianPackage {
  /** The program the tests run, as the package installs it. */
  path: string;
  name: string;
  /** Which tests need it, for the set-up's message. */
  purpose: string;
  /** The program's own arguments that print its version. */
  versionArgs: string[];
}

/**
 * A server or browser some tests need and a fresh Debian machine of this project's kind lacks:
 * installed from Debian's package, once per machine, waiting for another apt run to finish
 * rather than failing on its lock, and saying so. When it cannot be installed, one message says
 * why and what to run.
 */
export async function ensureDebianPackage(pkg: DebianPackage, log: (line: string) => void = console.log): Promise<void> {
  if (isExecutable(pkg.path)) return;
  const manualStep = `apt-get update && apt-get install -y ${pkg.name}`;
  const cannot = (why: string) =>
    new Error(`${pkg.path} is missing and the test set-up cannot install it: ${why}. Install it once ("${manualStep}"), then run the tests again.`);
  if (!isExecutable('/usr/bin/apt-get')) throw cannot('apt-get is not available (not a Debian machine)');
  if (process.getuid?.() !== 0) throw cannot('installing packages needs root');

  log(`[test set-up] ${pkg.path} is missing: installing Debian's ${pkg.name} package for ${pkg.purpose} (${manualStep}); this happens once per machine...`);
  const started = Date.now();
  const waitForLock = ['-o', 'DPkg::Lock::Timeout=600'];
  try {
    await run('apt-get', [...waitForLock, '-qq', 'update']);
    await run('apt-get', [...waitForLock, '-y', '-qq', 'install', pkg.name]);
  } catch (error) {
    throw cannot((error as Error).message);
  }
  if (!isExecutable(pkg.path)) throw cannot(`the ${pkg.name} package installed, but ${pkg.path} is still not there`);
  const version = (await run(pkg.path, pkg.versionArgs).catch(() => '')).trim().split('\n')[0];
  log(`[test set-up] installed ${version || pkg.name} at ${pkg.path} in ${Math.round((Date.now() - started) / 1000)} s`);
}

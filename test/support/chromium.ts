import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** Where Debian's `chromium` package puts the browser that the Bull Board test drives. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const MANUAL_STEP = 'apt-get update && apt-get install -y chromium';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command; resolves with its stdout, rejects with an error that carries the output's tail. */
function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const tail = `${stdout}${stderr}`.trim().split('\n').slice(-20).join('\n');
      reject(new Error(`${command} ${args.join(' ')} failed (${error.message.split('\n')[0]}):\n${tail}`));
    });
  });
}

/**
 * The browser test needs Chromium (it is never skipped). On a fresh Debian machine of this
 * project's kind the browser is missing: install Debian's package, once per test run, waiting
 * for another apt run to finish rather than failing on its lock. When it cannot be installed,
 * throw one message that says why and what to run.
 */
export async function ensureChromium(log: (line: string) => void = console.log): Promise<void> {
  if (isExecutable(CHROMIUM_PATH)) return;
  const cannot = (why: string) =>
    new Error(`${CHROMIUM_PATH} is missing and the test set-up cannot install it: ${why}. Install it once ("${MANUAL_STEP}"), then run the tests again.`);
  if (!isExecutable('/usr/bin/apt-get')) throw cannot('apt-get is not available (not a Debian machine)');
  if (process.getuid?.() !== 0) throw cannot('installing packages needs root');

  log(
    `[test set-up] ${CHROMIUM_PATH} is missing: installing Debian's chromium package for the Bull Board browser test (${MANUAL_STEP}); this happens once per machine...`,
  );
  const started = Date.now();
  const waitForLock = ['-o', 'DPkg::Lock::Timeout=600'];
  try {
    await run('apt-get', [...waitForLock, '-qq', 'update']);
    await run('apt-get', [...waitForLock, '-y', '-qq', 'install', 'chromium']);
  } catch (error) {
    throw cannot((error as Error).message);
  }
  if (!isExecutable(CHROMIUM_PATH)) throw cannot(`the chromium package installed, but ${CHROMIUM_PATH} is still not there`);
  const version = (await run(CHROMIUM_PATH, ['--version']).catch(() => '')).trim();
  log(`[test set-up] installed ${version || 'chromium'} at ${CHROMIUM_PATH} in ${Math.round((Date.now() - started) / 1000)} s`);
}

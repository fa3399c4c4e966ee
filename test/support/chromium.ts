import { ensureDebianPackage } from './debian-packages.js';

/** Where Debian's `chromium` package puts the browser that the Bull Board test drives. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The browser test needs Chromium (it is never skipped): installed once when missing. */
export function ensureChromium(log?: (line: string) => void): Promise<void> {
  return ensureDebianPackage({ path: CHROMIUM_PATH, name: 'chromium', purpose: 'the Bull Board browser test', versionArgs: ['--version'] }, log);
}

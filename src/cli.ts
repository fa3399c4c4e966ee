import { ConfigError } from './config.js';
import { runCli } from './cli-commands.js';

runCli(process.argv.slice(2), { print: (line) => console.log(line), env: process.env }).catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

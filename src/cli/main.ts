/** `turnpike <command>`: start, dev, validate. */
import { runDev } from './dev.js';
import { runStart } from './start.js';
import { runValidate } from './validate.js';

const USAGE = `Usage: turnpike <command> [options]

Commands:
  start --config <file> [--workers N] [--port P]   run the gateway (production)
  dev [--port 4000] [--workers N]                   local anvil + gateway at /local, no services needed
  validate <file>                                   check a config file; exit 2 on errors
  help                                              this text
`;

export async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return runStart(rest);
    case 'dev':
      return runDev(rest);
    case 'validate':
      return runValidate(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`turnpike: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

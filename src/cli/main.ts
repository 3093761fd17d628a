/**
 * `turnpike <command>`: start, dev, validate, the tenancy admin commands and bench. Each
 * command's module is loaded only when it runs, so `turnpike keys list` does not load the gateway.
 */
import { readFileSync } from 'node:fs';
import { parseFlags, UsageError } from './parse-flags.js';
import { runCommand, unknownCommand } from './run-command.js';

export const USAGE = `Usage: turnpike <command> [options]

Commands:
  start [--config <file>] [--workers N] [--port P] run the gateway (production)
  dev [--port 4000] [--workers N]                   local anvil + gateway at /local, no services needed
  validate <file> [--json]                          check a config file; exit 2 on errors
  migrate                                           apply pending database migrations
  plans create|list|show|update|delete              rate limits, quotas and method rules
  projects create|list|show|update                  tenants, each on one plan
  credits add <project> <amount>                    prepaid compute units (negative to correct)
  keys create|list|rotate|revoke                    API keys (a secret is shown once)
  usage [--project P] [--group-by day,method]       metered usage
  bench <scenario.yaml> [--json F] [--html F]       open-model load test with a bottleneck verdict
  help                                              this text

Options:
  --help, -h       this text; 'turnpike <command> --help' lists a command's options
  --version, -V    the version of turnpike

Tenancy commands take --database <file | postgres://…> (else DATABASE_URL, else the storage
section of --config or ./turnpike.yaml, else turnpike.db), --schema S for PostgreSQL, and
--json.

Exit codes: 0 done, 1 the operation failed, 2 bad usage or invalid configuration
(bench also exits 3 for an invalid run).
`;

type Run = (args: string[]) => Promise<number>;

const COMMANDS: Readonly<Record<string, () => Promise<Run>>> = {
  start: async () => (await import('./start.js')).runStart,
  dev: async () => (await import('./dev.js')).runDev,
  validate: async () => (await import('./validate.js')).runValidate,
  migrate: async () => (await import('./tenancy/migrate.js')).runMigrate,
  plans: async () => (await import('./tenancy/plans.js')).runPlans,
  projects: async () => (await import('./tenancy/projects.js')).runProjects,
  credits: async () => (await import('./tenancy/credits.js')).runCredits,
  keys: async () => (await import('./tenancy/keys.js')).runKeys,
  usage: async () => (await import('./tenancy/usage.js')).runUsage,
  bench: async () => (await import('./bench.js')).runBench,
};

export async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === 'help' || command.startsWith('-')) {
    // Only --help and --version come before a command.
    return runCommand({ name: '', usage: USAGE, run: topLevel }, argv);
  }
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (load === undefined) {
    process.stderr.write(
      `turnpike: ${unknownCommand(undefined, command, Object.keys(COMMANDS))}\n\n${USAGE}`,
    );
    return 2;
  }
  return (await load())(rest);
}

async function topLevel(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { version: { type: 'boolean', short: 'V' } });
  if (positionals.length > 0)
    throw new UsageError('options go after the command: turnpike <command> [options]');
  if (!values.version) throw new UsageError('give a command');
  process.stdout.write(`${version()}\n`);
  return 0;
}

/** The `version` of the package.json next to dist/ (or src/): right wherever the package is installed. */
export function version(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/** `turnpike start --config turnpike.yaml [--workers N] [--port P]`. */
import { effectiveSettings } from '../config/effective-settings.js';
import { formatIssues, loadConfigFile } from '../config/load.js';
import { assertSqliteBindingIfUsed } from '../store/sqlite-binding.js';
import { expectPositionals, integerInRange, parseFlags } from './parse-flags.js';
import { runCommand } from './run-command.js';
import { runGateway, stopOnSignals } from './run-gateway.js';

export const START_USAGE = `Usage: turnpike start [--config turnpike.yaml] [--workers N] [--port P]

Validates the config file and runs the gateway; prints 'ready <url>' once every worker
listens. SIGTERM or SIGINT drains and stops it.

Options:
  --config, -c F     the config file (default: turnpike.yaml)
  --workers, -w N    worker processes, 0 for one per core (default: server.workers)
  --port, -p P       port to listen on, 0 for a free one (default: server.port)
  --help, -h         this text

Exit codes: 0 stopped by a signal after draining, 1 could not start, 2 bad flag or invalid
configuration (nothing started).
`;

/** The flags of `start` and `dev`. */
export const GATEWAY_OPTIONS = {
  config: { type: 'string', short: 'c' },
  workers: { type: 'string', short: 'w' },
  port: { type: 'string', short: 'p' },
} as const;

export function runStart(args: string[]): Promise<number> {
  return runCommand({ name: 'start', usage: START_USAGE, run: start }, args);
}

async function start(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, GATEWAY_OPTIONS);
  expectPositionals(positionals, []);
  const workers = integerInRange('--workers', values.workers, 0, 1024);
  const port = integerInRange('--port', values.port, 0, 65_535);
  const file = values.config ?? 'turnpike.yaml';
  const result = await loadConfigFile(file);
  if (!result.ok) {
    process.stderr.write(`${formatIssues(result.issues)}\n${file}: invalid configuration\n`);
    return 2;
  }
  const config = result.config;
  const settings = effectiveSettings(config, process.env, { workers, port });
  config.server.workers = settings.workers ?? config.server.workers;
  config.server.port = settings.port ?? config.server.port;
  assertSqliteBindingIfUsed(config);
  const running = await runGateway(config);
  process.stdout.write(`ready ${running.url}\n`);
  await stopOnSignals(running.stop);
  return 0;
}

/** `turnpike start --config turnpike.yaml [--workers N] [--port P]`. */
import { formatIssues, loadConfigFile } from '../config/load.js';
import { assertSqliteBindingIfUsed } from '../store/sqlite-binding.js';
import { parseCommon } from './args.js';
import { runGateway, stopOnSignals } from './run-gateway.js';

export async function runStart(args: string[]): Promise<number> {
  const options = parseCommon(args);
  const file = options.config ?? 'turnpike.yaml';
  const result = await loadConfigFile(file);
  if (!result.ok) {
    process.stderr.write(`${formatIssues(result.issues)}\n${file}: invalid configuration\n`);
    return 2;
  }
  const config = result.config;
  if (options.workers !== undefined) config.server.workers = options.workers;
  if (options.port !== undefined) config.server.port = options.port;
  assertSqliteBindingIfUsed(config);
  const running = await runGateway(config);
  process.stdout.write(`ready ${running.url}\n`);
  await stopOnSignals(running.stop);
  return 0;
}

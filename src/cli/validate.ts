/**
 * `turnpike validate <file> [--json]`: prints every config mistake with its path; exit 2 when
 * invalid. `--json` prints one document on stdout instead, valid or not.
 */
import { loadConfigFile } from '../config/load.js';
import { expectPositionals, parseFlags } from './parse-flags.js';
import { runCommand } from './run-command.js';

export const VALIDATE_USAGE = `Usage: turnpike validate <file> [--json]

Checks a config file (YAML, with \${ENV} references resolved) against the schema and prints
every mistake with its path, or the networks it defines.

Options:
  --json       print one JSON document on stdout: { file, valid, networks } or
               { file, valid, issues: [{ path, message }] }
  --help, -h   this text

Exit codes: 0 valid, 2 invalid (or a bad flag).
`;

export function runValidate(args: string[]): Promise<number> {
  return runCommand({ name: 'validate', usage: VALIDATE_USAGE, run: validate }, args);
}

async function validate(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { json: { type: 'boolean' } });
  if (positionals.length === 0) {
    process.stderr.write(VALIDATE_USAGE);
    return 2;
  }
  const [file] = expectPositionals(positionals, ['file']);
  const result = await loadConfigFile(file);
  if (result.ok) {
    const networks = Object.keys(result.config.networks);
    if (values.json) printJson({ file, valid: true, networks });
    else process.stdout.write(`${file}: valid (networks: ${networks.join(', ')})\n`);
    return 0;
  }
  if (values.json) printJson({ file, valid: false, issues: result.issues });
  else {
    for (const issue of result.issues) process.stderr.write(`${issue.path}: ${issue.message}\n`);
    process.stderr.write(`${file}: ${result.issues.length} error(s)\n`);
  }
  return 2;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

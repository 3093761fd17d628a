/**
 * Runs one command and turns how it ended into the exit code scripts branch on (docs/cli.md):
 * 0 done (or its usage asked for), 1 the operation failed, 2 bad usage or an input refused as
 * invalid (`ERR_ADMIN_INVALID`), nothing attempted. A command may also return its own code.
 */
import { isGatewayError } from '../errors/gateway-error.js';
import { InstallIncompleteError } from '../errors/install-incomplete.js';
import { HelpRequested, UsageError } from './parse-flags.js';
import { closest } from './suggest.js';

/** Resolves with an exit code, or with anything else for 0. */
export type CommandBody = (args: string[]) => Promise<unknown>;

export interface CommandSpec {
  /** `keys create`, as typed after `turnpike` ('' for `turnpike` itself). */
  readonly name: string;
  /** Printed on stdout for `--help`, `-h` or `help`. */
  readonly usage: string;
  readonly run: CommandBody;
}

export async function runCommand(spec: CommandSpec, args: string[]): Promise<number> {
  const command = spec.name === '' ? 'turnpike' : `turnpike ${spec.name}`;
  try {
    const code = await spec.run(args);
    return typeof code === 'number' ? code : 0;
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(spec.usage);
      return 0;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`${command}: ${err.message}\nSee '${command} --help'.\n`);
      return 2;
    }
    // Its message is whole already: what is missing and the commands that fix it.
    if (err instanceof InstallIncompleteError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    if (isGatewayError(err)) {
      process.stderr.write(`${command}: ${err.code}: ${err.message}\n`);
      return err.code === 'ERR_ADMIN_INVALID' ? 2 : 1;
    }
    process.stderr.write(`${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/**
 * `turnpike <group> <sub-command> …`: picks the sub-command, or prints the group's usage
 * (`--help`, `-h`, `help`, or no sub-command at all, which is a usage error).
 */
export function runGroup(
  group: string,
  usage: string,
  commands: Readonly<Record<string, Omit<CommandSpec, 'name'>>>,
  args: string[],
): Promise<number> {
  const [name, ...rest] = args;
  if (name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage);
    return Promise.resolve(0);
  }
  const command = name === undefined || !Object.hasOwn(commands, name) ? undefined : commands[name];
  if (command === undefined) {
    process.stderr.write(`turnpike: ${unknownCommand(group, name, Object.keys(commands))}\n\n${usage}`);
    return Promise.resolve(2);
  }
  return runCommand({ name: `${group} ${name}`, ...command }, rest);
}

/** `unknown command "plans lsit" (did you mean "plans list"?)`. */
export function unknownCommand(
  group: string | undefined,
  name: string | undefined,
  known: readonly string[],
): string {
  if (name === undefined) return `${group} needs a sub-command`;
  const prefix = group === undefined ? '' : `${group} `;
  const match = closest(name, known);
  return `unknown command "${prefix}${name}"${match === undefined ? '' : ` (did you mean "${prefix}${match}"?)`}`;
}

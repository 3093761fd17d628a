/**
 * Runs one admin command and turns its failure into the exit code scripts branch on:
 * 2 for bad usage (the command was not attempted or the input was refused as invalid),
 * 1 for an operation that failed (`ERR_ADMIN_NOT_FOUND`, `ERR_ADMIN_CONFLICT`, database down).
 */
import { isGatewayError } from '../../errors/gateway-error.js';
import { UsageError } from './flags.js';

export type AdminCommand = (args: string[]) => Promise<void>;

export async function runAdmin(
  name: string,
  command: AdminCommand,
  args: string[],
  usage: string,
): Promise<number> {
  if (args[0] === 'help' || args.includes('--help') || args.includes('-h')) {
    process.stdout.write(usage);
    return 0;
  }
  try {
    await command(args);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`turnpike ${name}: ${err.message}\nSee 'turnpike ${name} help'.\n`);
      return 2;
    }
    if (isGatewayError(err)) {
      process.stderr.write(`turnpike ${name}: ${err.code}: ${err.message}\n`);
      return err.code === 'ERR_ADMIN_INVALID' ? 2 : 1;
    }
    process.stderr.write(`turnpike ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/** `turnpike <group> <sub-command> …`: picks the sub-command, or prints the group's usage. */
export function runGroup(
  group: string,
  commands: Readonly<Record<string, AdminCommand>>,
  usage: string,
  args: string[],
): Promise<number> {
  const [name, ...rest] = args;
  if (name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage);
    return Promise.resolve(0);
  }
  const command = name === undefined || !Object.hasOwn(commands, name) ? undefined : commands[name];
  if (command === undefined) {
    const problem =
      name === undefined ? `${group} needs a sub-command` : `unknown command "${group} ${name}"`;
    process.stderr.write(`turnpike: ${problem}\n\n${usage}`);
    return Promise.resolve(2);
  }
  return runAdmin(`${group} ${name}`, command, rest, usage);
}

/**
 * The one flag parser of every `turnpike` command: node:util `parseArgs` in strict mode, plus
 * what it leaves out. `--help`/`-h` (or `help` as the first word) becomes a HelpRequested the
 * command runner answers with the command's usage; an unknown flag names the closest known one;
 * every other mistake becomes a UsageError (exit 2).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { closest } from './suggest.js';

/** Bad usage: the message goes to stderr and the process exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `--help`, `-h` or a leading `help`: the runner prints the usage on stdout and exits 0. */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
}

export type FlagOptions = NonNullable<ParseArgsConfig['options']>;

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const satisfies FlagOptions;

export type Parsed<T extends FlagOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T & typeof HELP_OPTION; strict: true; allowPositionals: true }>
>;

/** Parses `args` against `options` (and `--help`); positionals stay in order. */
export function parseFlags<const T extends FlagOptions>(args: readonly string[], options: T): Parsed<T> {
  if (args[0] === 'help') throw new HelpRequested();
  const all = { ...options, ...HELP_OPTION };
  const normalized = valuesJoined(args, all);
  const { tokens } = parseArgs({
    args: normalized,
    options: all,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const flags = tokens.filter((token) => token.kind === 'option');
  // Asking for help wins over any mistake next to it.
  if (flags.some((token) => token.name === 'help')) throw new HelpRequested();
  const unknown = flags.find((token) => !Object.hasOwn(all, token.name));
  if (unknown !== undefined) throw unknownOption(unknown.rawName, Object.keys(all));
  try {
    return parseArgs({ args: normalized, options: all, strict: true, allowPositionals: true });
  } catch (err) {
    // Node's hint about `--` misleads here: no command takes a positional starting with `--`.
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

function unknownOption(raw: string, names: readonly string[]): UsageError {
  const typed = raw.replace(/^-+/, '');
  const match = raw.startsWith('--') ? closest(typed, names) : undefined;
  return new UsageError(`unknown option ${raw}${match === undefined ? '' : ` (did you mean --${match}?)`}`);
}

const NEGATIVE_NUMBER = /^-\d/;

/**
 * `credits add acme -500` must read `-500` as a number, not as flag `-5`, and `--grace -5` must
 * reach the number check: flags go first, a long flag's value joined to it (`--grace=-5`), and
 * every positional follows `--` in its original order.
 */
function valuesJoined(args: readonly string[], options: FlagOptions): string[] {
  const flags: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || NEGATIVE_NUMBER.test(arg) || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const next = args[i + 1];
    const name = arg.slice(2);
    const takesValue =
      arg.startsWith('--') &&
      !arg.includes('=') &&
      Object.hasOwn(options, name) &&
      options[name]?.type === 'string';
    // A value may start with one dash (`-500`, `-x`, `-` for stdout); two dashes always mean the next flag.
    if (takesValue && next !== undefined && !next.startsWith('--')) {
      flags.push(`${arg}=${next}`);
      i++;
    } else flags.push(arg);
  }
  return [...flags, '--', ...positionals];
}

/** Exactly the named positionals, in order (`<project> <amount>`). */
export function expectPositionals<const N extends readonly string[]>(
  positionals: readonly string[],
  names: N,
): { [K in keyof N]: string } {
  if (positionals.length < names.length) throw new UsageError(`missing <${names[positionals.length]}>`);
  if (positionals.length > names.length)
    throw new UsageError(`unexpected argument "${positionals[names.length]}"`);
  return positionals as { [K in keyof N]: string };
}

/** An integer within [min, max] (`--port`, `--workers`). */
export function integerInRange(
  flag: string,
  text: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max)
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got "${text}"`);
  return value;
}

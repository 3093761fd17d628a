/**
 * Flag parsing for the admin commands: node:util `parseArgs` in strict mode, with every mistake
 * (unknown flag, missing value, bad number) turned into a UsageError, which exits 2.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Bad usage: the message goes to stderr and the process exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Accepted by every admin command: where the database is, and the output format. */
export const COMMON_OPTIONS = {
  database: { type: 'string' },
  schema: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Options;

export type CommonValues = { database?: string; schema?: string; config?: string; json?: boolean };

type Parsed<T extends Options> = ReturnType<
  typeof parseArgs<{
    args: string[];
    options: typeof COMMON_OPTIONS & T;
    strict: true;
    allowPositionals: true;
  }>
>;

/** Parses `args` against the command's options plus COMMON_OPTIONS; positionals stay in order. */
export function parseFlags<const T extends Options>(args: string[], options: T): Parsed<T> {
  const all = { ...COMMON_OPTIONS, ...options };
  try {
    return parseArgs({
      args: negativeNumbersAsPositionals(args, all),
      options: all,
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    // Node's hint about `--` misleads here: no admin command takes a positional starting with `--`.
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

const NEGATIVE_NUMBER = /^-\d/;

/**
 * `credits add acme -500` must read `-500` as a number, not as flag `-5`: flags go first, each
 * with its value joined (`--reason=-x`), and every positional follows `--` in its original order.
 */
function negativeNumbersAsPositionals(args: readonly string[], options: Options): string[] {
  const flags: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || NEGATIVE_NUMBER.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const next = args[i + 1];
    const takesValue = arg.startsWith('--') && !arg.includes('=') && options[arg.slice(2)]?.type === 'string';
    // A value may start with one dash (`-500`, `-x`); two dashes always mean the next flag.
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

/** A required flag's value. */
export function required(flag: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`--${flag} is required`);
  return value;
}

/** A whole number (negative only when `min` allows it). */
export function wholeNumber(flag: string, text: string, min = 0): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min)
    throw new UsageError(
      `${flag} must be a whole number${min === 0 ? ' >= 0' : min === 1 ? ' >= 1' : ''}, got "${text}"`,
    );
  return value;
}

export function positiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0)
    throw new UsageError(`${flag} must be a number > 0, got "${text}"`);
  return value;
}

/** `a,b` → ['a', 'b']; an empty string is an empty list. */
export function list(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Only the listed words, each at most once. */
export function choices<const C extends string>(flag: string, text: string, allowed: readonly C[]): C[] {
  const picked = list(text);
  for (const item of picked)
    if (!(allowed as readonly string[]).includes(item))
      throw new UsageError(`${flag}: "${item}" is not one of ${allowed.join(', ')}`);
  return [...new Set(picked)] as C[];
}

/** `eth_call=30,eth_getLogs=100` → { eth_call: 30, eth_getLogs: 100 }. */
export function computeUnitMap(flag: string, text: string): Record<string, number> {
  const map: Record<string, number> = {};
  for (const pair of list(text)) {
    const at = pair.indexOf('=');
    const method = pair.slice(0, at).trim();
    if (at <= 0 || method === '') throw new UsageError(`${flag} expects method=units pairs, got "${pair}"`);
    map[method] = wholeNumber(`${flag} ${method}`, pair.slice(at + 1).trim());
  }
  return map;
}

/** A real calendar day written `YYYY-MM-DD` (UTC, as usage is stored). */
export function day(flag: string, text: string): string {
  const date = new Date(`${text}T00:00:00Z`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(text) ||
    Number.isNaN(date.getTime()) ||
    date.toISOString().slice(0, 10) !== text
  )
    throw new UsageError(`${flag} must be a day written YYYY-MM-DD, got "${text}"`);
  return text;
}

/** Two flags that contradict each other. */
export function exclusive(values: Record<string, unknown>, a: string, b: string): void {
  if (values[a] !== undefined && values[b] !== undefined)
    throw new UsageError(`--${a} and --${b} cannot be used together`);
}

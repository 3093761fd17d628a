/**
 * What the admin commands share on the command line: the flags that say where the database is
 * and how to print, parsed by the CLI's one parser (../parse-flags.ts), the common part of their
 * usage, and the checks of flag values (each mistake a UsageError, which exits 2).
 */
import { type FlagOptions, type Parsed, parseFlags, UsageError } from '../parse-flags.js';

/** Accepted by every admin command: where the database is, and the output format. */
export const COMMON_OPTIONS = {
  database: { type: 'string' },
  schema: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies FlagOptions;

export type CommonValues = { database?: string; schema?: string; config?: string; json?: boolean };

/** Parses `args` against the command's options plus COMMON_OPTIONS. */
export function parseAdminFlags<const T extends FlagOptions>(
  args: readonly string[],
  options: T,
): Parsed<typeof COMMON_OPTIONS & T> {
  return parseFlags(args, { ...COMMON_OPTIONS, ...options });
}

/** The lines every admin command's usage ends with. */
export const COMMON_HELP = `Common options:
  --database <file | postgres://…>   the tenancy database (else DATABASE_URL, else the storage
                                     section of --config or ./turnpike.yaml, else turnpike.db)
  --schema S                         PostgreSQL schema (default: storage.schema, else public)
  --config F                         the config file whose storage section to use
  --json                             print one JSON document on stdout, for scripts
  --help, -h                         this text
`;

/** A sub-command's usage: its synopsis, what it does, its own options, then COMMON_HELP. */
export function adminUsage(synopsis: string, about: string, options = ''): string {
  return `Usage: turnpike ${synopsis} [common options]\n\n${about}\n${options === '' ? '' : `\nOptions:\n${options}`}\n${COMMON_HELP}`;
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

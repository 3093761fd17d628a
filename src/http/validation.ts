/**
 * The one validation idiom of every HTTP body and query: a zod schema, and a refusal whose
 * issues are `{ path, message }`. Each API picks its style (InputStyle): its error code
 * (ERR_ADMIN_INVALID, ERR_RELAYER_INVALID), how it writes paths (`allowedMethods[2]` like the
 * config, or `transfers.3.amount`), and where an object's unknown fields are listed. The answer
 * lists the first few issues and counts the rest (errors/issues.ts).
 */
import type { z } from 'zod';
import { formatPath } from '../config/load.js';
import type { ErrorCode } from '../errors/codes.js';
import type { GatewayError } from '../errors/gateway-error.js';
import { type Issue, IssueList, issuesError } from '../errors/issues.js';
import { type CompiledSchema, INVALID } from './compile-schema.js';

export type AdminIssue = Issue;

export interface InputStyle {
  /** The code of a refusal. */
  readonly code: ErrorCode;
  /** Writes an issue's path; `[]` is the body (or value) itself. */
  readonly formatPath: (path: readonly PropertyKey[]) => string;
  /** The message of each unknown field (or query parameter). */
  readonly unknownField: string;
  /**
   * When set, an object's unknown fields are listed before the issues of its known fields
   * (those of the fields named here stay ahead of them); otherwise after them, zod's order.
   */
  readonly unknownFirst?: readonly string[];
}

/** The admin API's style: paths like the config's. */
export const ADMIN_INPUT: InputStyle = {
  code: 'ERR_ADMIN_INVALID',
  formatPath,
  unknownField: 'unknown field',
};

export function invalidRequest(issues: IssueList | readonly AdminIssue[]): GatewayError {
  return issuesError('ERR_ADMIN_INVALID', issues);
}

/**
 * Parses `value` or throws the style's code (ERR_ADMIN_INVALID by default) listing its
 * problems. `at` names the value in the paths (`txHash`, `Idempotency-Key`).
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  style: InputStyle = ADMIN_INPUT,
  at?: string,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = new IssueList();
  addIssues(parsed.error.issues, issues, style, at);
  throw issuesError(style.code, issues);
}

/**
 * Like parseInput, but adds the problems to `issues` and gives undefined: for a request whose
 * parts (query, header, body) are checked one after the other and refused together.
 */
export function collectInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  issues: IssueList,
  style: InputStyle,
  at?: string,
): z.output<S> | undefined {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  addIssues(parsed.error.issues, issues, style, at);
  return undefined;
}

/** parseInput with a compiled schema: zod runs only for an invalid value, to say why. */
export function parseCompiled<S extends z.ZodType>(
  compiled: CompiledSchema<S>,
  value: unknown,
  style: InputStyle,
  at?: string,
): z.output<S> {
  const checked = compiled.check(value);
  return checked === INVALID ? parseInput(compiled.schema, value, style, at) : checked;
}

/** collectInput with a compiled schema. */
export function collectCompiled<S extends z.ZodType>(
  compiled: CompiledSchema<S>,
  value: unknown,
  issues: IssueList,
  style: InputStyle,
  at?: string,
): z.output<S> | undefined {
  const checked = compiled.check(value);
  return checked === INVALID ? collectInput(compiled.schema, value, issues, style, at) : checked;
}

/** Adds zod's issues to `issues` in `style` (for a caller that orders some of them itself). */
export function addIssues(
  found: readonly z.core.$ZodIssue[],
  issues: IssueList,
  style: InputStyle,
  at: string | undefined,
): void {
  const ordered = style.unknownFirst === undefined ? found : unknownFirst(found, style.unknownFirst);
  for (const issue of ordered) {
    const path = at === undefined ? issue.path : [at, ...issue.path];
    if (issue.code !== 'unrecognized_keys') {
      issues.push({ path: style.formatPath(path), message: issue.message });
      continue;
    }
    // One issue per unknown field, at that field's path, so a client can point at each.
    const { keys } = issue;
    for (let i = 0; i < keys.length; i++) {
      if (issues.full) {
        issues.skip(keys.length - i);
        break;
      }
      issues.push({ path: style.formatPath([...path, keys[i]!]), message: style.unknownField });
    }
  }
}

/**
 * zod lists an object's unknown keys after the issues of its fields, which come together just
 * before; this moves each such issue ahead of them (behind those of the `leading` fields).
 */
function unknownFirst(found: readonly z.core.$ZodIssue[], leading: readonly string[]): z.core.$ZodIssue[] {
  const ordered: z.core.$ZodIssue[] = [];
  for (const issue of found) {
    let at = ordered.length;
    if (issue.code === 'unrecognized_keys')
      while (at > 0 && isFieldIssue(ordered[at - 1]!.path, issue.path, leading)) at--;
    ordered.splice(at, 0, issue);
  }
  return ordered;
}

/** Whether `path` is under a field of the object at `object`, other than a leading one. */
function isFieldIssue(
  path: readonly PropertyKey[],
  object: readonly PropertyKey[],
  leading: readonly string[],
): boolean {
  if (path.length <= object.length) return false;
  for (let i = 0; i < object.length; i++) if (path[i] !== object[i]) return false;
  return !leading.includes(path[object.length] as string);
}

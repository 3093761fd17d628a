/**
 * ERR_ADMIN_INVALID with field-level issues: every zod issue becomes `{ path, message }`, with
 * paths written like the config's (`rateLimit.perSecond`, `allowedMethods[2]`).
 */
import type { z } from 'zod';
import { formatPath } from '../../config/load.js';
import { GatewayError } from '../../errors/gateway-error.js';

export interface AdminIssue {
  readonly path: string;
  readonly message: string;
}

export function invalidRequest(issues: readonly AdminIssue[]): GatewayError {
  const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
  return new GatewayError('ERR_ADMIN_INVALID', `invalid request: ${summary}`, { data: { issues } });
}

/** Parses `value` or throws ERR_ADMIN_INVALID listing every problem. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw invalidRequest(parsed.error.issues.flatMap(toAdminIssues));
}

function toAdminIssues(issue: z.core.$ZodIssue): AdminIssue[] {
  // One issue per unknown field, at that field's path, so a client can point at each.
  if (issue.code === 'unrecognized_keys')
    return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown field' }));
  return [{ path: formatPath(issue.path), message: issue.message }];
}

/**
 * ERR_ADMIN_INVALID with field-level issues: every zod issue becomes `{ path, message }`, with
 * paths written like the config's (`rateLimit.perSecond`, `allowedMethods[2]`); the answer lists
 * the first few and counts the rest (errors/issues.ts).
 */
import type { z } from 'zod';
import { formatPath } from '../config/load.js';
import type { GatewayError } from '../errors/gateway-error.js';
import { type Issue, IssueList, issuesError } from '../errors/issues.js';

export type AdminIssue = Issue;

export function invalidRequest(issues: IssueList | readonly AdminIssue[]): GatewayError {
  return issuesError('ERR_ADMIN_INVALID', issues);
}

/** Parses `value` or throws ERR_ADMIN_INVALID listing its problems. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = new IssueList();
  for (const issue of parsed.error.issues) addAdminIssues(issue, issues);
  throw invalidRequest(issues);
}

function addAdminIssues(issue: z.core.$ZodIssue, issues: IssueList): void {
  if (issue.code !== 'unrecognized_keys') {
    issues.push({ path: formatPath(issue.path), message: issue.message });
    return;
  }
  // One issue per unknown field, at that field's path, so a client can point at each.
  const { keys } = issue;
  for (let i = 0; i < keys.length; i++) {
    if (issues.full) {
      issues.skip(keys.length - i);
      return;
    }
    issues.push({ path: formatPath([...issue.path, keys[i]!]), message: 'unknown field' });
  }
}

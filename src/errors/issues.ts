/**
 * Field-level issues of an invalid admin or relayer request, bounded: an answer lists the first
 * MAX_ISSUES (each clipped to MAX_ISSUE_CHARS) and counts the rest, so a body of 95,000 unknown
 * fields gets a small 400, not one six times its size.
 */
import type { ErrorCode } from './codes.js';
import { GatewayError } from './gateway-error.js';

export interface Issue {
  /** The field, e.g. `rateLimit.perSecond` or `transfers.3.amount`; `(root)` for the body. */
  readonly path: string;
  readonly message: string;
}

/** Issues listed in one answer; `issueCount` says how many there were. */
export const MAX_ISSUES = 20;
/** Longest path or message in an answer (an unknown field's name can be as long as the body). */
export const MAX_ISSUE_CHARS = 200;

/**
 * Collects issues like an array (push, length), keeping only the first MAX_ISSUES: collecting a
 * million costs a counter.
 */
export class IssueList {
  /** The first MAX_ISSUES issues, clipped. */
  readonly kept: Issue[] = [];
  /** How many were pushed. */
  length = 0;

  push(issue: Issue): number {
    if (this.kept.length < MAX_ISSUES)
      this.kept.push({ path: clip(issue.path), message: clip(issue.message) });
    return ++this.length;
  }

  /** Counts `count` more issues without keeping them. */
  skip(count: number): void {
    this.length += count;
  }

  /** Whether more issues would only be counted. */
  get full(): boolean {
    return this.kept.length >= MAX_ISSUES;
  }

  /** Adds what an error made by `issuesError` holds. */
  addFrom(error: GatewayError): void {
    const found = issuesOf(error.data);
    if (found === undefined) return;
    for (const issue of found.issues) this.push(issue);
    this.skip(found.issueCount - found.issues.length);
  }
}

/** `code` with its issues: the first MAX_ISSUES in the message and `data.issues`, all in `data.issueCount`. */
export function issuesError(code: ErrorCode, issues: IssueList | readonly Issue[]): GatewayError {
  const list = issues instanceof IssueList ? issues : listOf(issues);
  const shown = list.kept;
  const more = list.length - shown.length;
  const summary = shown.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
  return new GatewayError(code, `invalid request: ${summary}${more > 0 ? `; and ${more} more` : ''}`, {
    data: { issues: shown, issueCount: list.length },
  });
}

/** The issues of an error's `data`, for the body of a REST answer. */
export function issuesOf(data: unknown): { issues: readonly Issue[]; issueCount: number } | undefined {
  if (data === null || typeof data !== 'object' || !('issues' in data) || !Array.isArray(data.issues))
    return undefined;
  const issues = data.issues as Issue[];
  const count = 'issueCount' in data && typeof data.issueCount === 'number' ? data.issueCount : issues.length;
  return { issues, issueCount: count };
}

function listOf(issues: readonly Issue[]): IssueList {
  const list = new IssueList();
  for (const issue of issues) {
    if (list.full) {
      list.skip(issues.length - list.length);
      break;
    }
    list.push(issue);
  }
  return list;
}

function clip(text: string): string {
  return text.length <= MAX_ISSUE_CHARS ? text : `${text.slice(0, MAX_ISSUE_CHARS - 1)}…`;
}

import { describe, expect, it } from 'vitest';
import { IssueList, issuesError, MAX_ISSUE_CHARS, MAX_ISSUES } from './issues.js';

const issue = (i: number) => ({ path: `f${i}`, message: 'unknown field' });

describe('issues', () => {
  it('an error lists the first MAX_ISSUES and counts them all, in data and message', () => {
    const error = issuesError(
      'ERR_ADMIN_INVALID',
      Array.from({ length: 95_000 }, (_, i) => issue(i)),
    );
    expect(error.data).toEqual({
      issues: Array.from({ length: MAX_ISSUES }, (_, i) => issue(i)),
      issueCount: 95_000,
    });
    expect(error.message).toMatch(
      /^invalid request: f0: unknown field; .*f19: unknown field; and 94980 more$/,
    );
    expect(error.message.length).toBeLessThan(1_000);
  });

  it('a short list is listed whole; long paths and messages are clipped', () => {
    const long = 'x'.repeat(100_000);
    const error = issuesError('ERR_RELAYER_INVALID', [issue(0), { path: long, message: long }]);
    const data = error.data as { issues: { path: string; message: string }[]; issueCount: number };
    expect(data.issueCount).toBe(2);
    expect(data.issues[1]!.path).toHaveLength(MAX_ISSUE_CHARS);
    expect(error.message.length).toBeLessThan(3 * MAX_ISSUE_CHARS);
  });

  it('a list keeps what an error held, counts included', () => {
    const list = new IssueList();
    list.push({ path: 'Idempotency-Key', message: 'required' });
    list.addFrom(
      issuesError(
        'ERR_RELAYER_INVALID',
        Array.from({ length: 50 }, (_, i) => issue(i)),
      ),
    );
    expect(list.length).toBe(51);
    expect(list.kept).toHaveLength(MAX_ISSUES);
  });
});

import { describe, expect, it } from 'vitest';
import { networkSchema } from './schema.js';

const upstreams = [{ url: 'http://127.0.0.1:8545' }];

function issues(input: Record<string, unknown>): string[] {
  const parsed = networkSchema.safeParse({ upstreams, ...input });
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('consistency settings', () => {
  it('default to retries and splitting on, with no upstream log limits', () => {
    const network = networkSchema.parse({ upstreams });
    expect(network.notYetRetry).toEqual({ enabled: true, maxRetries: 2 });
    expect(network.logSplit).toEqual({ enabled: true, concurrency: 4, maxParts: 1_000 });
    expect(network.upstreams[0]!.logs).toEqual({});
  });

  it('name the path of every bad value', () => {
    expect(issues({ notYetRetry: { maxRetries: 0 } })).toEqual([
      expect.stringMatching(/^notYetRetry\.maxRetries: .*>=\s*1/),
    ]);
    expect(issues({ logSplit: { concurrency: 100 } })[0]).toMatch(/^logSplit\.concurrency: .*<=\s*64/);
    expect(issues({ logSplit: { maxParts: 1 } })[0]).toMatch(/^logSplit\.maxParts: /);
    expect(issues({ logSplit: { split: true } })[0]).toMatch(/^logSplit: .*split/);
    expect(issues({ upstreams: [{ url: 'http://127.0.0.1:8545', logs: { maxBlockRange: 0 } }] })[0]).toMatch(
      /^upstreams\.0\.logs\.maxBlockRange: /,
    );
  });

  it('accept numbers spelled as strings (values from ENV interpolation)', () => {
    const network = networkSchema.parse({
      upstreams: [{ url: 'http://127.0.0.1:8545', logs: { maxBlockRange: '2000', maxResults: '10000' } }],
      logSplit: { concurrency: '8' },
    });
    expect(network.upstreams[0]!.logs).toEqual({ maxBlockRange: 2_000, maxResults: 10_000 });
    expect(network.logSplit.concurrency).toBe(8);
  });
});

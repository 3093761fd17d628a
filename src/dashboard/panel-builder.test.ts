import { describe, expect, it } from 'vitest';
import { PanelBuilder } from './panel-builder.js';
import { type PanelSample, TOP_ROWS, type UsageRow } from './panels.js';

const CONFIRM_BOUNDS = [1, 2, 5];

function panels(n: number, over: Partial<PanelSample> = {}): PanelSample {
  return {
    // n requests: 0.1 ms read, 2 ms upstream (n / 2 of them), 3 ms in all.
    stages: { read: [n * 0.0001, n], upstream: [(n / 2) * 0.002, n / 2], total: [n * 0.003, n] },
    failover: { eth: [n, n * 2, n / 2] },
    reorgs: { reorgs: 1, invalidated: n },
    relayer: {
      batches: n / 10,
      batchedTransfers: n,
      confirmBuckets: [0, n, 0, 0],
      confirmBounds: CONFIRM_BOUNDS,
      failedByReason: { ERR_RELAYER_TRANSFER_REVERTED: 2 },
      keys: [['0xb', 1, n]],
    },
    tenancy: undefined,
    ...over,
  };
}

const usage = (name: string, requests: number, computeUnits = requests, project = 'p'): UsageRow => ({
  name,
  project,
  requests,
  computeUnits,
  rateLimited: 0,
});

describe('PanelBuilder', () => {
  it('gives the mean stage times per answered request and failover rates, summed over workers', () => {
    const builder = new PanelBuilder();
    const first = builder.build(
      [
        { worker: '0', panels: panels(100) },
        { worker: '1', panels: panels(100) },
      ],
      1,
      0,
    );
    // The first sample of a worker is its baseline.
    expect(first.stages).toBeNull();
    const second = builder.build(
      [
        { worker: '0', panels: panels(300) },
        { worker: '1', panels: panels(200) },
      ],
      2,
      0,
    );
    // 300 requests answered over both workers: read 0.1 ms each, upstream 2 ms for half of them.
    expect(second.stages).toEqual({ read: 0.1, upstream: 1, total: 3 });
    expect(second.failover).toEqual([
      { network: 'eth', retriesPerSec: 150, hedgesPerSec: 300, hedgesWonPerSec: 75 },
    ]);
    // Reorgs: the most any worker saw; invalidated entries: summed.
    expect(second.reorgs).toEqual({ reorgs: 1, invalidated: 500, invalidatedPerSec: 150 });
  });

  it('counts a restarted worker from zero, and leaves out the panels nobody has', () => {
    const builder = new PanelBuilder();
    builder.build([{ worker: '0', panels: panels(1000) }], 1, 0);
    const after = builder.build(
      [{ worker: '0', panels: panels(10, { relayer: undefined, reorgs: undefined }) }],
      1,
      0,
    );
    expect(after.failover[0]?.retriesPerSec).toBe(10);
    expect(after.relayer).toBeNull();
    expect(after.reorgs).toBeNull();
    expect(after.tenancy).toBeNull();
  });

  it('keeps the relayer batch size and confirmation latency over the last minute', () => {
    const builder = new PanelBuilder();
    builder.build([{ worker: 'relayer', panels: panels(0) }], 1, 0);
    const busy = builder.build([{ worker: 'relayer', panels: panels(100) }], 1, 0);
    expect(busy.relayer).toMatchObject({
      batchesPerSec: 10,
      meanBatchSize: 10,
      failedByReason: { ERR_RELAYER_TRANSFER_REVERTED: 2 },
      keys: [{ key: '0xb', inflight: 1, nonce: 100 }],
    });
    // All confirmations in the (1 s, 2 s] bucket.
    expect(busy.relayer?.confirmP50Ms).toBe(1500);
    // A quiet second later the minute still has them.
    const quiet = builder.build([{ worker: 'relayer', panels: panels(100) }], 1, 0);
    expect(quiet.relayer?.batchesPerSec).toBe(0);
    expect(quiet.relayer?.meanBatchSize).toBe(10);
    expect(quiet.relayer?.confirmP50Ms).toBe(1500);
    for (let i = 0; i < 60; i++) builder.build([{ worker: 'relayer', panels: panels(100) }], 1, 0);
    expect(
      builder.build([{ worker: 'relayer', panels: panels(100) }], 1, 0).relayer?.confirmP50Ms,
    ).toBeNull();
  });

  it('merges the workers’ top keys and projects, cuts them to TOP_ROWS, and takes the lowest credits', () => {
    const builder = new PanelBuilder();
    const many = Array.from({ length: 2 * TOP_ROWS }, (_, i) => usage(`key-${i}`, i + 1));
    const worker0 = panels(0, {
      tenancy: {
        keys: [...many, { ...usage('hot', 50, 5, 'alpha'), rateLimited: 4 }],
        projects: [usage('alpha', 100, 80), usage('beta', 10, 1)],
        credits: [
          ['alpha', 900],
          ['beta', 50],
        ],
      },
    });
    const worker1 = panels(0, {
      tenancy: {
        keys: [usage('hot', 30, 3, 'alpha')],
        projects: [usage('alpha', 30, 3)],
        credits: [['alpha', 870]],
      },
    });
    const built = builder.build(
      [
        { worker: '0', panels: worker0 },
        { worker: '1', panels: worker1 },
      ],
      2,
      6,
    );
    const tenancy = built.tenancy!;
    expect(tenancy.rateLimitedPerSec).toBe(3);
    expect(tenancy.keys).toHaveLength(TOP_ROWS);
    expect(tenancy.keys[0]).toEqual({
      name: 'hot',
      project: 'alpha',
      requestsPerSec: 40,
      computeUnitsPerSec: 4,
      rateLimitedPerSec: 2,
    });
    expect(tenancy.projects).toEqual([
      { name: 'alpha', requestsPerSec: 65, computeUnitsPerSec: 41.5, creditsLeft: 870 },
      { name: 'beta', requestsPerSec: 5, computeUnitsPerSec: 0.5, creditsLeft: 50 },
    ]);
    expect(tenancy.lowestCredits).toEqual([
      { name: 'beta', creditsLeft: 50 },
      { name: 'alpha', creditsLeft: 870 },
    ]);
  });
});

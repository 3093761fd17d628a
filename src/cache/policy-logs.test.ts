import { describe, expect, it } from 'vitest';
import { networkCacheSchema } from '../config/schema.js';
import type { ChainView } from './chain-view.js';
import { planCache, type ResultInfo } from './policy.js';
import { MAX_RANGE_TAGS } from './policy-logs.js';

const INF = Number.POSITIVE_INFINITY;
const ADDRESS = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48';
const TOPIC = `0x${'dd'.repeat(32)}`;
const H = (n: number, fork = 0) => `0x${fork.toString(16)}${n.toString(16).padStart(63, '0')}`;
const hex = (n: number) => `0x${n.toString(16)}`;

class FakeChain implements ChainView {
  readonly hashes = new Map<number, string>();
  constructor(
    public head = 110,
    public finalized = 100,
    lowest = 90,
  ) {
    for (let n = lowest; n <= head; n++) this.hashes.set(n, H(n));
  }
  hashAt(n: number): string | undefined {
    return this.hashes.get(n);
  }
}

function plan(filter: unknown, overrides: Record<string, unknown> = {}, chain = new FakeChain()) {
  const request = { id: 1, method: 'eth_getLogs', params: [filter], raw: Buffer.alloc(0) };
  return planCache(request, 'main', networkCacheSchema.parse(overrides), chain);
}
const parsed = (result: unknown): ResultInfo => ({ parsed: true, result });
const log = (n: number, hash = H(n)) => ({
  address: ADDRESS.toLowerCase(),
  blockNumber: hex(n),
  blockHash: hash,
});
const heights = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => H(from + i));

describe('eth_getLogs over a range', () => {
  it.each<[string, unknown]>([
    ['up to the finalized block', { fromBlock: '0x1', toBlock: '0x64' }],
    ['from earliest', { fromBlock: 'earliest', toBlock: '0x64' }],
    ['a single final block', { fromBlock: '0x5a', toBlock: '0x5a' }],
  ])('%s: forever', (_, filter) => {
    const p = plan(filter);
    expect(p?.key).not.toContain('@');
    expect(p?.decide(parsed([log(95)]))).toEqual({ ttlMs: INF, tags: [] });
    // Large bodies are not parsed: the range alone decides.
    expect(p?.decide({ parsed: false, result: undefined })).toEqual({ ttlMs: INF, tags: [] });
  });

  it.each<[number, number, string[]]>([
    [1, 101, [H(101)]],
    [90, 105, heights(101, 105)],
    [103, 105, heights(103, 105)],
    [110, 110, [H(110)]],
  ])('from %i to %i (above finality): tagged with every height read above finality', (from, to, tags) => {
    const p = plan({ fromBlock: hex(from), toBlock: hex(to) });
    expect(p?.key.endsWith(`@${H(to)}`)).toBe(true);
    expect(p?.decide(parsed([log(to)]))).toEqual({ ttlMs: 5_000, tags });
    expect(p?.decide({ parsed: false, result: undefined })).toEqual({ ttlMs: 5_000, tags });
  });

  it('above the head, or with any hash in the range unknown: not cached', () => {
    expect(plan({ fromBlock: '0x1', toBlock: hex(111) })).toBeUndefined();
    const chain = new FakeChain();
    chain.hashes.delete(103);
    expect(plan({ fromBlock: '0x1', toBlock: hex(105) }, {}, chain)).toBeUndefined();
    expect(plan({ fromBlock: hex(104), toBlock: hex(105) }, {}, chain)).toBeDefined();
  });

  it('a reorg between the plan and the answer: not stored', () => {
    const chain = new FakeChain();
    const p = plan({ fromBlock: '0x1', toBlock: hex(105) }, {}, chain);
    for (let n = 104; n <= 110; n++) chain.hashes.set(n, H(n, 1));
    expect(p?.decide(parsed([log(95)]))).toBeUndefined();
  });

  it('a range reading more unfinalized heights than MAX_RANGE_TAGS: not cached', () => {
    const chain = new FakeChain(1_000, 0, 0);
    expect(
      plan({ fromBlock: '0x1', toBlock: hex(MAX_RANGE_TAGS) }, {}, chain)?.decide(parsed([log(1)]))?.tags,
    ).toHaveLength(MAX_RANGE_TAGS);
    expect(plan({ fromBlock: '0x1', toBlock: hex(MAX_RANGE_TAGS + 1) }, {}, chain)).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ['toBlock latest', { fromBlock: '0x1', toBlock: 'latest' }],
    ['toBlock pending', { fromBlock: '0x1', toBlock: 'pending' }],
    ['toBlock safe', { fromBlock: '0x1', toBlock: 'safe' }],
    ['toBlock missing', { fromBlock: '0x1' }],
    ['fromBlock missing', { toBlock: '0x64' }],
    ['both missing', { address: ADDRESS }],
  ])('%s: the tip rule', (_, filter) => {
    expect(plan(filter)).toBeUndefined();
    const p = plan(filter, { tipTtlMs: 1_000 });
    expect(p?.key.endsWith(`@${H(110)}`)).toBe(true);
    expect(p?.decide(parsed([log(95)]))).toEqual({ ttlMs: 1_000, tags: [H(110)] });
  });

  it('an empty list is stored only with cacheEmpty', () => {
    expect(plan({ fromBlock: '0x1', toBlock: '0x64' })?.decide(parsed([]))).toBeUndefined();
    expect(plan({ fromBlock: '0x1', toBlock: '0x64' }, { cacheEmpty: true })?.decide(parsed([]))).toEqual({
      ttlMs: INF,
      tags: [],
    });
  });

  it.each<unknown>([
    { fromBlock: '0x10', toBlock: '0x5' },
    { fromBlock: 'banana', toBlock: '0x5' },
    { fromBlock: H(5), toBlock: '0x5' },
    { fromBlock: '0x1', toBlock: { blockNumber: '0x5' } },
    null,
    '0x1',
    [{}],
  ])('a filter nodes would reject or read differently (%j) is not cached', (filter) => {
    expect(plan(filter, { tipTtlMs: 1_000 })).toBeUndefined();
  });

  it('two filters or none: not cached', () => {
    const chain = new FakeChain();
    const config = networkCacheSchema.parse({});
    const request = (params: unknown) => ({ id: 1, method: 'eth_getLogs', params, raw: Buffer.alloc(0) });
    expect(planCache(request([{}, {}]), 'main', config, chain)).toBeUndefined();
    expect(planCache(request([]), 'main', config, chain)).toBeUndefined();
    expect(planCache(request(undefined), 'main', config, chain)).toBeUndefined();
  });
});

describe('eth_getLogs by block hash', () => {
  it('a final block: forever; above finality or unknown: tagged with the hash', () => {
    expect(plan({ blockHash: H(95) })?.decide(parsed([log(95)]))).toEqual({ ttlMs: INF, tags: [] });
    expect(plan({ blockHash: H(105) })?.decide(parsed([log(105)]))).toEqual({ ttlMs: 5_000, tags: [H(105)] });
    const unknown = H(7, 4);
    // The logs name a final height: final whatever the tracker holds.
    expect(plan({ blockHash: unknown })?.decide(parsed([log(7, unknown)]))).toEqual({ ttlMs: INF, tags: [] });
    expect(plan({ blockHash: unknown })?.decide({ parsed: false, result: undefined })).toEqual({
      ttlMs: 5_000,
      tags: [unknown],
    });
    // Found in the tracker's window without any log to say so.
    expect(plan({ blockHash: H(95) }, { cacheEmpty: true })?.decide(parsed([]))).toEqual({
      ttlMs: INF,
      tags: [],
    });
    expect(plan({ blockHash: H(105) }, { cacheEmpty: true })?.decide(parsed([]))).toEqual({
      ttlMs: 5_000,
      tags: [H(105)],
    });
  });

  it('logs of another block are not stored', () => {
    expect(plan({ blockHash: H(105) })?.decide(parsed([log(105, H(105, 1))]))).toBeUndefined();
  });

  it('a block hash with a range, or a malformed hash: not cached', () => {
    expect(plan({ blockHash: H(95), fromBlock: '0x1' })).toBeUndefined();
    expect(plan({ blockHash: '0x12' })).toBeUndefined();
  });
});

describe('eth_getLogs keys', () => {
  it('ignore member order, address case, hex spelling; keep every other member', () => {
    const a = plan({ address: ADDRESS, topics: [TOPIC], fromBlock: '0x01', toBlock: '0x64' })?.key;
    const b = plan({
      toBlock: '0x064',
      topics: [TOPIC],
      fromBlock: '0x1',
      address: ADDRESS.toLowerCase(),
    })?.key;
    expect(a).toBe(b);
    expect(a).toBe(
      `main:eth_getLogs:[{"address":"${ADDRESS.toLowerCase()}","fromBlock":"0x1","toBlock":"0x64","topics":["${TOPIC}"]}]`,
    );
    expect(plan({ address: [ADDRESS], fromBlock: '0x1', toBlock: '0x64' })?.key).toContain(
      `"address":["${ADDRESS.toLowerCase()}"]`,
    );
    expect(plan({ fromBlock: '0x1', toBlock: '0x64', topics: [null, TOPIC] })?.key).not.toBe(
      plan({ fromBlock: '0x1', toBlock: '0x64', topics: [TOPIC] })?.key,
    );
    expect(plan({ fromBlock: '0x1', toBlock: '0x64', limit: 5 })?.key).toContain('"limit":5');
    expect(plan({ blockHash: H(95).toUpperCase().replace('0X', '0x') })?.key).toBe(
      `main:eth_getLogs:[{"blockHash":"${H(95)}"}]`,
    );
    // A missing end is spelled `latest`, like the node reads it.
    expect(plan({ fromBlock: '0x1' }, { tipTtlMs: 1_000 })?.key).toBe(
      plan({ fromBlock: '0x1', toBlock: 'latest' }, { tipTtlMs: 1_000 })?.key,
    );
  });
});

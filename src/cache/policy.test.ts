import { describe, expect, it } from 'vitest';
import { type NetworkCacheConfig, networkCacheSchema } from '../config/schema.js';
import type { RpcRequest } from '../rpc/types.js';
import type { ChainView } from './chain-view.js';
import { type CachePlan, matchRule, planCache, type ResultInfo } from './policy.js';

const FINALIZED = 100;
const HEAD = 110;
const INF = Number.POSITIVE_INFINITY;
const ADDRESS = '0x00000000219ab540356cBB839Cbe05303d7705Fa';
const TX = `0x${'7e'.repeat(32)}`;

/** A distinct 32-byte hash per height (and fork). */
const H = (n: number, fork = 0) => `0x${fork.toString(16)}${n.toString(16).padStart(63, '0')}`;
const hex = (n: number) => `0x${n.toString(16)}`;

class FakeChain implements ChainView {
  head = HEAD;
  finalized = FINALIZED;
  readonly hashes = new Map<number, string>();
  constructor() {
    for (let n = 90; n <= HEAD; n++) this.hashes.set(n, H(n));
  }
  hashAt(n: number): string | undefined {
    return this.hashes.get(n);
  }
}

const config = (overrides: Record<string, unknown> = {}): NetworkCacheConfig =>
  networkCacheSchema.parse(overrides);
const request = (method: string, params?: unknown): RpcRequest => ({
  id: 1,
  method,
  params,
  raw: Buffer.alloc(0),
});
const parsed = (result: unknown): ResultInfo => ({ parsed: true, result });
const unparsed = (bytes?: string): ResultInfo =>
  bytes === undefined
    ? { parsed: false, result: undefined }
    : { parsed: false, result: undefined, bytes: Buffer.from(bytes) };

function plan(
  method: string,
  params?: unknown,
  overrides?: Record<string, unknown>,
  chain = new FakeChain(),
) {
  return planCache(request(method, params), 'main', config(overrides), chain);
}
function planned(
  method: string,
  params?: unknown,
  overrides?: Record<string, unknown>,
  chain?: FakeChain,
): CachePlan {
  const result = plan(method, params, overrides, chain);
  expect(result).toBeDefined();
  return result!;
}

const block = (n: number, hash = H(n)) => ({ number: hex(n), hash, parentHash: H(n - 1), transactions: [] });
const item = (n: number, hash = H(n)) => ({ blockNumber: hex(n), blockHash: hash, hash: TX });

/** Each block-parameter method: its params around a ref, and a non-empty answer at height n. */
const REF_METHODS: [string, (ref: unknown) => unknown[], (n: number, hash?: string) => unknown][] = [
  ['eth_getBlockByNumber', (ref) => [ref, false], (n, hash) => block(n, hash)],
  ['eth_getBalance', (ref) => [ADDRESS, ref], () => '0x1'],
  ['eth_getCode', (ref) => [ADDRESS, ref], () => '0x6001'],
  ['eth_getTransactionCount', (ref) => [ADDRESS, ref], () => '0x0'],
  ['eth_getStorageAt', (ref) => [ADDRESS, '0x0', ref], () => `0x${'0'.repeat(64)}`],
  ['eth_getProof', (ref) => [ADDRESS, [], ref], () => ({ balance: '0x1' })],
  ['eth_call', (ref) => [{ to: ADDRESS, data: '0x06fdde03' }, ref], () => '0x01'],
  ['eth_getBlockTransactionCountByNumber', (ref) => [ref], () => '0x3'],
  ['eth_getUncleCountByBlockNumber', (ref) => [ref], () => '0x0'],
  ['eth_getBlockReceipts', (ref) => [ref], (n, hash) => [item(n, hash)]],
  ['eth_getTransactionByBlockNumberAndIndex', (ref) => [ref, '0x0'], (n, hash) => item(n, hash)],
  ['eth_getUncleByBlockNumberAndIndex', (ref) => [ref, '0x0'], (n) => block(n - 1, H(n - 1, 9))],
  ['eth_feeHistory', (ref) => ['0x4', ref, []], () => ({ oldestBlock: '0x1' })],
];

describe('static methods', () => {
  it.each(['eth_chainId', 'net_version'])('%s is cached forever without tags', (method) => {
    const p = planned(method, []);
    expect(p.key).toBe(`main:${method}:[]`);
    expect(p.lookup).toBe(true);
    expect(p.decide(parsed('0x1'))).toEqual({ ttlMs: INF, tags: [] });
    expect(planned(method).key).toBe(p.key);
  });
});

describe('methods with a block parameter', () => {
  describe.each(REF_METHODS)('%s', (method, params, answer) => {
    it('at the finalized block: forever, no tags', () => {
      const ps = params(hex(FINALIZED));
      const p = planned(method, ps);
      // The address parameter is lowercased; addresses inside objects (eth_call) are left alone.
      const expected = ps[0] === ADDRESS ? [ADDRESS.toLowerCase(), ...ps.slice(1)] : ps;
      expect(p.key).toBe(`main:${method}:${JSON.stringify(expected)}`);
      expect(p.decide(parsed(answer(FINALIZED)))).toEqual({ ttlMs: INF, tags: [] });
    });

    it.each([FINALIZED + 1, HEAD])(
      'at %i (above finality): unfinalized TTL, keyed and tagged by its hash',
      (n) => {
        const p = planned(method, params(hex(n)));
        expect(p.key.endsWith(`@${H(n)}`)).toBe(true);
        expect(p.decide(parsed(answer(n)))).toEqual({ ttlMs: 5_000, tags: [H(n)] });
      },
    );

    it('above the head: not cached', () => {
      expect(plan(method, params(hex(HEAD + 1)))).toBeUndefined();
    });

    it('above finality with an unknown hash: not cached', () => {
      const chain = new FakeChain();
      chain.hashes.delete(105);
      expect(plan(method, params(hex(105)), {}, chain)).toBeUndefined();
    });

    it('a reorg between the plan and the answer: not stored', () => {
      const chain = new FakeChain();
      const p = planned(method, params(hex(105)), {}, chain);
      chain.hashes.set(105, H(105, 1));
      expect(p.decide(parsed(answer(105)))).toBeUndefined();
    });

    it('earliest: forever', () => {
      const p = planned(method, params('earliest'));
      expect(p.key).toContain('"earliest"');
      expect(p.decide(parsed(answer(0)))).toEqual({ ttlMs: INF, tags: [] });
    });

    it.each(['latest', 'pending', 'safe', 'finalized'])('%s: not cached without a tip TTL', (tag) => {
      expect(plan(method, params(tag))).toBeUndefined();
    });

    it.each(['latest', 'pending', 'safe', 'finalized'])(
      '%s: tip TTL, keyed and tagged by the head hash',
      (tag) => {
        const p = planned(method, params(tag), { tipTtlMs: 1_000 });
        expect(p.key.endsWith(`@${H(HEAD)}`)).toBe(true);
        expect(p.decide(parsed(answer(HEAD)))).toEqual({ ttlMs: 1_000, tags: [H(HEAD)] });
      },
    );

    it('a tip answer with the head hash unknown: not cached', () => {
      const chain = new FakeChain();
      chain.hashes.delete(HEAD);
      expect(plan(method, params('latest'), { tipTtlMs: 1_000 }, chain)).toBeUndefined();
      chain.head = -1;
      expect(plan(method, params('latest'), { tipTtlMs: 1_000 }, chain)).toBeUndefined();
    });

    it('every spelling of one block shares a key', () => {
      const keys = ['0x6e', '0x6E', '0x006e', { blockNumber: '0x6E' }].map(
        (ref) => planned(method, params(ref)).key,
      );
      expect(new Set(keys).size).toBe(1);
    });

    it('a block hash the tracker holds above finality: tagged with it', () => {
      for (const ref of [H(105), H(105).toUpperCase().replace('0X', '0x'), { blockHash: H(105) }]) {
        const p = planned(method, params(ref));
        expect(p.key).toContain(H(105));
        expect(p.decide(parsed(answer(105)))).toEqual({ ttlMs: 5_000, tags: [H(105)] });
      }
    });

    it('a block hash the tracker holds at or below finality: forever', () => {
      expect(planned(method, params({ blockHash: H(95) })).decide(parsed(answer(95)))).toEqual({
        ttlMs: INF,
        tags: [],
      });
    });

    it('an unknown block hash: unfinalized TTL tagged with that hash', () => {
      const unknown = H(42, 7);
      const p = planned(method, params({ blockHash: unknown }));
      // Unless the answer names its block, and that block is at or below finality.
      const namesBlock = [
        'eth_getBlockByNumber',
        'eth_getBlockReceipts',
        'eth_getTransactionByBlockNumberAndIndex',
      ];
      expect(p.decide(parsed(answer(42, unknown)))).toEqual(
        namesBlock.includes(method) ? { ttlMs: INF, tags: [] } : { ttlMs: 5_000, tags: [unknown] },
      );
      expect(p.decide(parsed(answer(105, unknown)))).toEqual({ ttlMs: 5_000, tags: [unknown] });
    });

    it('requireCanonical: only a hash the tracker holds', () => {
      expect(plan(method, params({ blockHash: H(42, 7), requireCanonical: true }))).toBeUndefined();
      const above = planned(method, params({ blockHash: H(105), requireCanonical: true }));
      expect(above.key).toContain('"requireCanonical":true');
      expect(above.key).not.toBe(planned(method, params({ blockHash: H(105) })).key);
      expect(above.decide(parsed(answer(105)))).toEqual({ ttlMs: 5_000, tags: [H(105)] });
      const final = planned(method, params({ blockHash: H(95), requireCanonical: true }));
      expect(final.decide(parsed(answer(95)))).toEqual({ ttlMs: INF, tags: [] });
    });
  });

  it.each<unknown>(['0x', '1b4', 436, null, 'Latest', { blockNumber: '0x1', blockHash: H(1) }, { foo: 1 }])(
    'an unreadable block parameter %j is not cached',
    (ref) => {
      expect(plan('eth_getBalance', [ADDRESS, ref], { tipTtlMs: 1_000 })).toBeUndefined();
    },
  );

  it('an omitted block parameter means latest', () => {
    const omitted = planned('eth_call', [{ to: ADDRESS }], { tipTtlMs: 1_000 });
    expect(omitted.key).toBe(planned('eth_call', [{ to: ADDRESS }, 'latest'], { tipTtlMs: 1_000 }).key);
    expect(plan('eth_call', [{ to: ADDRESS }])).toBeUndefined();
    expect(plan('eth_getStorageAt', [ADDRESS])).toBeUndefined();
    expect(plan('eth_getBalance', { address: ADDRESS })).toBeUndefined();
  });

  it('keys: network, method, params with addresses lowercased and block numbers canonical', () => {
    expect(planned('eth_getBalance', [ADDRESS, '0x064']).key).toBe(
      `main:eth_getBalance:["${ADDRESS.toLowerCase()}","0x64"]`,
    );
    expect(planned('eth_getBalance', [ADDRESS.toLowerCase(), '0x64']).key).toBe(
      planned('eth_getBalance', [ADDRESS, '0x64']).key,
    );
    const other = planCache(request('eth_getBalance', [ADDRESS, '0x64']), 'base', config(), new FakeChain());
    expect(other?.key.startsWith('base:eth_getBalance:')).toBe(true);
    expect(planned('eth_getBlockByNumber', ['0x64', true]).key).not.toBe(
      planned('eth_getBlockByNumber', ['0x64', false]).key,
    );
    // Final answers are not keyed by hash, so they survive the tracker forgetting old heights.
    expect(planned('eth_getBalance', [ADDRESS, '0x64']).key).not.toContain('@');
  });
});

describe('checking the block an answer names', () => {
  it('eth_getBlockByNumber: a block of another fork or height is not stored', () => {
    const p = planned('eth_getBlockByNumber', ['0x69', false]);
    expect(p.decide(parsed(block(105, H(105, 1))))).toBeUndefined();
    expect(p.decide(parsed(block(104)))).toBeUndefined();
    const final = planned('eth_getBlockByNumber', ['0x5f', false]);
    expect(final.decide(parsed(block(95, H(95, 1))))).toBeUndefined();
    expect(final.decide(parsed(block(96)))).toBeUndefined();
  });

  it('large (unparsed) blocks: final by number; above finality only when the bytes name the hash', () => {
    expect(planned('eth_getBlockByNumber', ['0x5f', true]).decide(unparsed('{"huge":1}'))).toEqual({
      ttlMs: INF,
      tags: [],
    });
    const p = planned('eth_getBlockByNumber', ['0x69', true]);
    expect(p.decide(unparsed(`{"number":"0x69","hash":"${H(105)}"}`))).toEqual({
      ttlMs: 5_000,
      tags: [H(105)],
    });
    expect(p.decide(unparsed(`{"number":"0x69","hash":"${H(105, 1)}"}`))).toBeUndefined();
    expect(p.decide(unparsed())).toBeUndefined();
    const receipts = planned('eth_getBlockReceipts', ['0x69']);
    expect(receipts.decide(unparsed(`[{"blockHash":"${H(105)}"}]`))).toEqual({
      ttlMs: 5_000,
      tags: [H(105)],
    });
    expect(planned('eth_getBalance', [ADDRESS, '0x69']).decide(unparsed())).toEqual({
      ttlMs: 5_000,
      tags: [H(105)],
    });
  });

  it('a block that must exist answered with null means the node lags: never stored', () => {
    for (const method of [
      'eth_getBlockByNumber',
      'eth_getBlockReceipts',
      'eth_getBlockTransactionCountByNumber',
    ]) {
      const p = planned(method, ['0x64', false].slice(0, method === 'eth_getBlockByNumber' ? 2 : 1), {
        cacheEmpty: true,
      });
      expect(p.decide(parsed(null))).toBeUndefined();
    }
    // An index past the end is a real "none".
    const p = planned('eth_getTransactionByBlockNumberAndIndex', ['0x64', '0x99'], { cacheEmpty: true });
    expect(p.decide(parsed(null))).toEqual({ ttlMs: INF, tags: [] });
  });

  it('latest block: tagged with the block the node returned, if the tracker knows it canonical', () => {
    const p = planned('eth_getBlockByNumber', ['latest', false], { tipTtlMs: 1_000 });
    expect(p.decide(parsed(block(HEAD)))).toEqual({ ttlMs: 1_000, tags: [H(HEAD)] });
    expect(p.decide(parsed(block(HEAD - 1)))).toEqual({ ttlMs: 1_000, tags: [H(HEAD), H(HEAD - 1)] });
    expect(p.decide(parsed(block(HEAD + 1)))).toBeUndefined(); // node ahead of the tracker
    expect(p.decide(parsed(block(HEAD, H(HEAD, 1))))).toBeUndefined(); // node on another fork
    expect(p.decide(unparsed(`{"hash":"${H(HEAD)}"}`))).toEqual({ ttlMs: 1_000, tags: [H(HEAD)] });
    expect(p.decide(unparsed(`{"hash":"${H(HEAD + 1)}"}`))).toBeUndefined();
    const finalized = planned('eth_getBlockByNumber', ['finalized', false], { tipTtlMs: 1_000 });
    expect(finalized.decide(parsed(block(FINALIZED)))).toEqual({
      ttlMs: 1_000,
      tags: [H(HEAD), H(FINALIZED)],
    });
    expect(finalized.decide(parsed(block(50)))).toEqual({ ttlMs: 1_000, tags: [H(HEAD), H(50)] });
  });
});

describe('methods named by block hash', () => {
  const BY_HASH: [string, (hash: string) => unknown[], (n: number, hash: string) => unknown][] = [
    ['eth_getBlockByHash', (hash) => [hash, false], (n, hash) => block(n, hash)],
    ['eth_getTransactionByBlockHashAndIndex', (hash) => [hash, '0x0'], (n, hash) => item(n, hash)],
    ['eth_getBlockTransactionCountByHash', (hash) => [hash], () => '0x2'],
    ['eth_getUncleCountByBlockHash', (hash) => [hash], () => '0x0'],
    ['eth_getUncleByBlockHashAndIndex', (hash) => [hash, '0x0'], (n) => block(n - 1, H(n - 1, 9))],
  ];

  describe.each(BY_HASH)('%s', (method, params, answer) => {
    it('a final block: forever', () => {
      const p = planned(method, params(H(95).toUpperCase().replace('0X', '0x')));
      expect(p.key).toBe(`main:${method}:${JSON.stringify(params(H(95)))}`);
      expect(p.decide(parsed(answer(95, H(95))))).toEqual({ ttlMs: INF, tags: [] });
      expect(p.decide(unparsed())).toEqual({ ttlMs: INF, tags: [] });
    });

    it('a block above finality: tagged with its hash', () => {
      expect(planned(method, params(H(105))).decide(parsed(answer(105, H(105))))).toEqual({
        ttlMs: 5_000,
        tags: [H(105)],
      });
    });

    it('a block the tracker does not hold: tagged with its hash', () => {
      const hash = H(107, 3);
      expect(planned(method, params(hash)).decide(unparsed())).toEqual({ ttlMs: 5_000, tags: [hash] });
    });

    it('not found: stored only with cacheEmpty, briefly, tied to the head', () => {
      expect(planned(method, params(H(120))).decide(parsed(null))).toBeUndefined();
      expect(planned(method, params(H(120)), { cacheEmpty: true }).decide(parsed(null))).toEqual({
        ttlMs: 5_000,
        tags: [H(HEAD)],
      });
    });
  });

  it('a result that names the block settles finality without the tracker', () => {
    const old = H(7, 2);
    const p = planned('eth_getBlockByHash', [old, false]);
    expect(p.decide(parsed(block(7, old)))).toEqual({ ttlMs: INF, tags: [] });
    expect(p.decide(parsed(block(7, H(7, 3))))).toBeUndefined(); // not the block asked for
    // A final height whose canonical block is another one: an orphan, never final.
    const orphan = H(95, 1);
    expect(planned('eth_getBlockByHash', [orphan, false]).decide(parsed(block(95, orphan)))).toEqual({
      ttlMs: 5_000,
      tags: [orphan],
    });
  });

  it('a malformed hash is not cached', () => {
    expect(plan('eth_getBlockByHash', ['0x1234', false])).toBeUndefined();
    expect(plan('eth_getBlockByHash', [])).toBeUndefined();
    expect(plan('eth_getBlockByHash', 'x')).toBeUndefined();
  });
});

describe('transactions and receipts', () => {
  describe.each(['eth_getTransactionByHash', 'eth_getTransactionReceipt'])('%s', (method) => {
    const p = () => planned(method, [TX.toUpperCase().replace('0X', '0x')]);

    it('keys by the lowercase hash', () => {
      expect(p().key).toBe(`main:${method}:["${TX}"]`);
    });

    it.each<[string, unknown, unknown]>([
      ['in a final block', item(95), { ttlMs: INF, tags: [] }],
      ['in the finalized block', item(FINALIZED), { ttlMs: INF, tags: [] }],
      ['in an old final block the tracker no longer holds', item(3, H(3, 5)), { ttlMs: INF, tags: [] }],
      [
        'in a canonical block above finality',
        item(FINALIZED + 1),
        { ttlMs: 5_000, tags: [H(FINALIZED + 1)] },
      ],
      ['in the head block', item(HEAD), { ttlMs: 5_000, tags: [H(HEAD)] }],
      ['in a block of another fork', item(105, H(105, 1)), undefined],
      ['in a final height on another fork', item(95, H(95, 1)), undefined],
      ['in a block the tracker has not seen', item(HEAD + 1), undefined],
      ['pending', { blockNumber: null, blockHash: null, hash: TX }, undefined],
      ['naming no block', { hash: TX }, undefined],
      ['not found', null, undefined],
    ])('%s', (_, result, expected) => {
      expect(p().decide(parsed(result))).toEqual(expected);
    });

    it('a large (unparsed) answer cannot say its block: not stored', () => {
      expect(p().decide(unparsed('{"blockHash":"0x"}'))).toBeUndefined();
    });

    it('not found with cacheEmpty: the unfinalized TTL at most, tied to the head', () => {
      expect(planned(method, [TX], { cacheEmpty: true }).decide(parsed(null))).toEqual({
        ttlMs: 5_000,
        tags: [H(HEAD)],
      });
      const forever = { cacheEmpty: true, rules: [{ method, ttl: 'forever' }] };
      expect(planned(method, [TX], forever).decide(parsed(null))).toEqual({ ttlMs: 5_000, tags: [H(HEAD)] });
      const short = { cacheEmpty: true, rules: [{ method, ttl: 200 }] };
      expect(planned(method, [TX], short).decide(parsed(null))).toEqual({ ttlMs: 200, tags: [H(HEAD)] });
    });

    it('a malformed hash is not cached', () => {
      expect(plan(method, ['0xabc'])).toBeUndefined();
    });
  });
});

describe('empty results', () => {
  it.each<[string, unknown[], unknown]>([
    ['eth_getCode', [ADDRESS, '0x64'], '0x'],
    ['eth_getBlockReceipts', ['0x64'], []],
    ['eth_getTransactionByBlockNumberAndIndex', ['0x64', '0x9'], null],
  ])('%s → %j: stored only with cacheEmpty', (method, params, result) => {
    expect(planned(method, params).decide(parsed(result))).toBeUndefined();
    expect(planned(method, params, { cacheEmpty: true }).decide(parsed(result))).toEqual({
      ttlMs: INF,
      tags: [],
    });
  });

  it('zero is not empty', () => {
    expect(planned('eth_getBalance', [ADDRESS, '0x64']).decide(parsed('0x0'))).toEqual({
      ttlMs: INF,
      tags: [],
    });
  });

  it('an empty answer above finality keeps its tag', () => {
    expect(planned('eth_getCode', [ADDRESS, '0x69'], { cacheEmpty: true }).decide(parsed('0x'))).toEqual({
      ttlMs: 5_000,
      tags: [H(105)],
    });
  });
});

describe('not cached by default', () => {
  it.each([
    ['eth_blockNumber', []],
    ['eth_gasPrice', []],
    ['eth_maxPriorityFeePerGas', []],
    ['eth_estimateGas', [{ to: ADDRESS }, '0x64']],
    ['eth_createAccessList', [{ to: ADDRESS }, '0x64']],
    ['eth_sendRawTransaction', ['0x02f8']],
    ['eth_sendTransaction', [{}]],
    ['eth_newFilter', [{}]],
    ['eth_getFilterChanges', ['0x1']],
    ['eth_getFilterLogs', ['0x1']],
    ['eth_subscribe', ['newHeads']],
    ['eth_syncing', []],
    ['web3_clientVersion', []],
    ['debug_traceTransaction', [TX]],
    ['debug_traceBlockByNumber', ['0x64']],
    ['trace_block', ['0x64']],
    ['trace_transaction', [TX]],
    ['foo_bar', []],
  ])('%s', (method, params) => {
    expect(plan(method, params, { tipTtlMs: 1_000, cacheEmpty: true })).toBeUndefined();
  });

  it('nothing when the cache is disabled', () => {
    expect(plan('eth_chainId', [], { enabled: false })).toBeUndefined();
  });
});

describe('config rules', () => {
  it('match exactly or by prefix, first match wins', () => {
    const rules = [
      { method: 'eth_getBalance', ttl: 1_000 },
      { method: 'eth_get*', ttl: 'never' as const },
      { method: 'eth_*', ttl: 'forever' as const },
    ];
    expect(matchRule(rules, 'eth_getBalance')).toBe(1_000);
    expect(matchRule(rules, 'eth_getCode')).toBe('never');
    expect(matchRule(rules, 'eth_chainId')).toBe('forever');
    expect(matchRule(rules, 'net_version')).toBeUndefined();
    expect(matchRule([{ method: 'eth_getBalance', ttl: 5 }], 'eth_getBalances')).toBeUndefined();
  });

  it('never turns caching off, exactly or by prefix', () => {
    expect(plan('eth_chainId', [], { rules: [{ method: 'eth_chainId', ttl: 'never' }] })).toBeUndefined();
    const prefix = { rules: [{ method: 'eth_get*', ttl: 'never' }] };
    expect(plan('eth_getBalance', [ADDRESS, '0x64'], prefix)).toBeUndefined();
    expect(plan('eth_getLogs', [{ fromBlock: '0x1', toBlock: '0x2' }], prefix)).toBeUndefined();
    expect(plan('eth_chainId', [], prefix)).toBeDefined();
  });

  it('a TTL replaces the built-in TTL, final or not', () => {
    const rules = { rules: [{ method: 'eth_getBalance', ttl: 60_000 }] };
    expect(planned('eth_getBalance', [ADDRESS, '0x64'], rules).decide(parsed('0x1'))).toEqual({
      ttlMs: 60_000,
      tags: [],
    });
    expect(planned('eth_getBalance', [ADDRESS, '0x69'], rules).decide(parsed('0x1'))).toEqual({
      ttlMs: 60_000,
      tags: [H(105)],
    });
    // And it turns on tip caching, still keyed and tagged by the head.
    const latest = planned('eth_getBalance', [ADDRESS, 'latest'], rules);
    expect(latest.key.endsWith(`@${H(HEAD)}`)).toBe(true);
    expect(latest.decide(parsed('0x1'))).toEqual({ ttlMs: 60_000, tags: [H(HEAD)] });
  });

  it('forever is still tagged, and still refused without a known hash', () => {
    const rules = { rules: [{ method: 'eth_*', ttl: 'forever' }] };
    expect(planned('eth_getBalance', [ADDRESS, '0x69'], rules).decide(parsed('0x1'))).toEqual({
      ttlMs: INF,
      tags: [H(105)],
    });
    const chain = new FakeChain();
    chain.hashes.delete(105);
    expect(plan('eth_getBalance', [ADDRESS, '0x69'], rules, chain)).toBeUndefined();
    expect(plan('eth_getBalance', [ADDRESS, hex(HEAD + 1)], rules)).toBeUndefined();
    expect(
      planned('eth_getTransactionReceipt', [TX], rules).decide(parsed(item(105, H(105, 1)))),
    ).toBeUndefined();
    // A forever answer at the tip lives under the head's hash: the next head never sees it.
    expect(planned('eth_call', [{ to: ADDRESS }], rules).key.endsWith(`@${H(HEAD)}`)).toBe(true);
  });

  it('opt-in methods get the block analysis of the built-ins', () => {
    const rules = {
      rules: [
        { method: 'eth_estimateGas', ttl: 'forever' },
        { method: 'trace_*', ttl: 30_000 },
      ],
    };
    expect(planned('eth_estimateGas', [{ to: ADDRESS }, '0x64'], rules).decide(parsed('0x5208'))).toEqual({
      ttlMs: INF,
      tags: [],
    });
    expect(planned('eth_estimateGas', [{ to: ADDRESS }, '0x69'], rules).decide(parsed('0x5208'))).toEqual({
      ttlMs: INF,
      tags: [H(105)],
    });
    expect(plan('trace_block', [hex(HEAD + 1)], rules)).toBeUndefined();
    expect(planned('trace_transaction', [TX], rules).decide(parsed([item(105)]))).toEqual({
      ttlMs: 30_000,
      tags: [H(105)],
    });
  });

  it('methods without a built-in: the rule TTL, tied to the head', () => {
    const rules = {
      rules: [
        { method: 'debug_*', ttl: 'forever' },
        { method: 'eth_blockNumber', ttl: 500 },
      ],
    };
    const trace = planned('debug_traceTransaction', [TX, { tracer: 'callTracer' }], rules);
    expect(trace.key).toBe(`main:debug_traceTransaction:${JSON.stringify([TX, { tracer: 'callTracer' }])}`);
    expect(trace.decide(parsed({ calls: [] }))).toEqual({ ttlMs: INF, tags: [H(HEAD)] });
    expect(planned('eth_blockNumber', undefined, rules).decide(parsed('0x6e'))).toEqual({
      ttlMs: 500,
      tags: [H(HEAD)],
    });
    const chain = new FakeChain();
    chain.hashes.delete(HEAD);
    expect(planned('eth_blockNumber', [], rules, chain).decide(parsed('0x6e'))).toBeUndefined();
  });
});

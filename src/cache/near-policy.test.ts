import { describe, expect, it } from 'vitest';
import { networkCacheSchema } from '../config/schema.js';
import { NEAR_METHODS } from '../rpc/methods/near-methods.js';
import type { RpcRequest } from '../rpc/types.js';
import { planNearCache } from './near-policy.js';

const HASH = 'EPnLgE7iEq9s7yTkos96M3cWymH5avBAPm3qx3NXqR8H';
const config = networkCacheSchema.parse({ finalTtlMs: 1_000 });

function plan(method: string, params: unknown, finalHeight = 100, overrides = config) {
  const request: RpcRequest = { id: 1, method, params, raw: Buffer.alloc(0) };
  return planNearCache(request, 'near', overrides, NEAR_METHODS.entries.get(method)?.cache, { finalHeight });
}

describe('NEAR cache policy', () => {
  it('keeps answers at a block hash, a chunk hash and a final height until evicted', () => {
    for (const [method, params] of [
      ['block', { block_id: HASH }],
      ['block', [HASH]],
      ['chunk', { chunk_id: HASH }],
      ['query', { request_type: 'view_account', block_id: 100, account_id: 'a.near' }],
      ['gas_price', [99]],
    ] as const) {
      const found = plan(method, params);
      expect(found?.final, `${method} ${JSON.stringify(params)}`).toBe(true);
      expect(found?.decide({ parsed: true, result: { ok: 1 } })?.ttlMs).toBe(Number.POSITIVE_INFINITY);
    }
  });

  it('caches finality final for finalTtlMs, and never optimistic, the head or heights above finality', () => {
    const final = plan('query', { request_type: 'view_account', finality: 'final', account_id: 'a.near' });
    expect(final?.final).toBe(false);
    expect(final?.decide({ parsed: true, result: { amount: '1' } })?.ttlMs).toBe(1_000);
    expect(
      plan('block', { finality: 'final' }, 100, networkCacheSchema.parse({ finalTtlMs: 0 })),
    ).toBeUndefined();
    expect(plan('block', { finality: 'optimistic' })).toBeUndefined();
    expect(plan('block', { finality: 'near-final' })).toBeUndefined();
    expect(plan('block', [null])).toBeUndefined();
    expect(plan('block', { block_id: 101 })).toBeUndefined();
    expect(plan('block', { block_id: 5 }, -1)).toBeUndefined();
    expect(plan('block', { block_id: 'not-a-hash!' })).toBeUndefined();
    expect(plan('status', [])).toBeUndefined();
    expect(plan('send_tx', { signed_tx_base64: 'AAAA' })).toBeUndefined();
  });

  it('stores a transaction status only once it is FINAL', () => {
    const status = plan('tx', { tx_hash: HASH, sender_account_id: 'a.near' });
    expect(
      status?.decide({ parsed: true, result: { final_execution_status: 'EXECUTED_OPTIMISTIC' } }),
    ).toBeUndefined();
    expect(status?.decide({ parsed: false, result: undefined })).toBeUndefined();
    expect(status?.decide({ parsed: true, result: { final_execution_status: 'FINAL' } })?.ttlMs).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('follows cache rules: never turns a method off, a TTL replaces the built-in one', () => {
    const rules = networkCacheSchema.parse({
      rules: [
        { method: 'block', ttl: 'never' },
        { method: 'query', ttl: 50 },
      ],
    });
    expect(plan('block', { block_id: HASH }, 100, rules)).toBeUndefined();
    const query = plan(
      'query',
      { request_type: 'view_account', block_id: HASH, account_id: 'a.near' },
      100,
      rules,
    );
    expect(query?.decide({ parsed: true, result: {} })?.ttlMs).toBe(50);
    expect(
      plan(
        'query',
        { request_type: 'view_account', finality: 'optimistic', account_id: 'a.near' },
        100,
        rules,
      ),
    ).toBeUndefined();
  });
});

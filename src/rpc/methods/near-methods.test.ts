import { describe, expect, it } from 'vitest';
import { BUILTIN_COMPUTE_UNITS } from '../../tenancy/compute-units.js';
import { isMethodName } from '../method-labels.js';
import { EVM_METHODS } from './evm-methods.js';
import { NEAR_METHODS } from './near-methods.js';
import { BUILTIN_METHOD_NAMES, methodsOf } from './rules.js';

describe('NEAR method table', () => {
  it('is the table of type: near, sharing no name with the EVM table', () => {
    expect(methodsOf('near')).toBe(NEAR_METHODS);
    expect(methodsOf('evm')).toBe(EVM_METHODS);
    for (const method of NEAR_METHODS.entries.keys()) {
      expect(isMethodName(method), method).toBe(true);
      expect(EVM_METHODS.entries.has(method), method).toBe(false);
      expect(BUILTIN_METHOD_NAMES.has(method), method).toBe(true);
      expect(BUILTIN_COMPUTE_UNITS[method], method).toBe(NEAR_METHODS.entries.get(method)!.units);
    }
  });

  it('sends signed transactions as idempotent writes: retried, never hedged', () => {
    for (const method of ['send_tx', 'broadcast_tx_async', 'broadcast_tx_commit'])
      expect(NEAR_METHODS.entries.get(method), method).toMatchObject({
        write: 'idempotent',
        hedge: false,
        retry: true,
        units: 250,
      });
  });

  it('learns the head from status and from block at finality optimistic only', () => {
    const status = NEAR_METHODS.entries.get('status')!;
    const request = (params: unknown) => ({ id: 1, method: 'block', params, raw: Buffer.alloc(0) });
    expect(status.reportsHead?.({ sync_info: { latest_block_height: 42 } }, request([]))).toBe(42);
    const block = NEAR_METHODS.entries.get('block')!;
    const answer = { header: { height: 7 } };
    expect(block.reportsHead?.(answer, request({ finality: 'optimistic' }))).toBe(7);
    expect(block.reportsHead?.(answer, request({ finality: 'final' }))).toBeUndefined();
    expect(block.reportsHead?.(answer, request({ block_id: 7 }))).toBeUndefined();
  });
});

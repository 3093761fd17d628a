import { describe, expect, it } from 'vitest';
import { aligned } from './log-split.js';
import { FINAL, NOT_YET_CHECKS } from './not-yet.js';

const result = (value: unknown) => ({
  ok: true as const,
  body: '',
  rpcError: false,
  parsed: true,
  result: value,
});
const error = (message: string) => ({
  ok: true as const,
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32000, message } }),
  rpcError: true,
});
const check = (method: string) => NOT_YET_CHECKS.get(method)!;

describe('not-yet answers', () => {
  it('a null block above the answering head needs that block; at or below it, it is final', () => {
    expect(check('eth_getBlockByNumber')(['0x64', false], result(null), 90)).toBe(100);
    expect(check('eth_getBlockByNumber')(['0x64', false], result(null), 100)).toBe(FINAL);
    expect(check('eth_getBlockByNumber')(['0x64', false], result({ number: '0x64' }), 90)).toBe(FINAL);
    expect(check('eth_getBlockByNumber')(['latest', false], result(null), 90)).toBe(FINAL);
  });

  it('a null receipt or transaction needs any upstream ahead of the one that answered', () => {
    const hash = `0x${'ab'.repeat(32)}`;
    expect(check('eth_getTransactionReceipt')([hash], result(null), 90)).toBe(91);
    expect(check('eth_getTransactionByHash')([hash], result(null), -1)).toBe(0);
    expect(check('eth_getTransactionReceipt')([hash], result({ blockNumber: '0x1' }), 90)).toBe(FINAL);
  });

  it('state reads are doubted on "header not found" only, never on their value', () => {
    const account = `0x${'11'.repeat(20)}`;
    expect(check('eth_getBalance')([account, '0x64'], error('header not found'), 90)).toBe(100);
    expect(check('eth_getBalance')([account, '0x64'], result('0x0'), 90)).toBe(FINAL);
    expect(check('eth_getBalance')([account, '0x64'], error('execution reverted'), 90)).toBe(FINAL);
  });

  it('a log range ending above the answering head needs its end; within it, it is final', () => {
    const filter = { fromBlock: '0x50', toBlock: '0x64' };
    expect(check('eth_getLogs')([filter], result([]), 90)).toBe(100);
    expect(check('eth_getLogs')([filter], result([{}]), 90)).toBe(100);
    expect(check('eth_getLogs')([filter], result([]), 100)).toBe(FINAL);
    expect(check('eth_getLogs')([{ fromBlock: '0x50', toBlock: 'latest' }], result([]), 90)).toBe(FINAL);
    expect(check('eth_getLogs')([{ blockHash: `0x${'cd'.repeat(32)}` }], result([]), 90)).toBe(91);
  });

  it('methods without a block parameter are not watched', () => {
    expect(NOT_YET_CHECKS.has('eth_gasPrice')).toBe(false);
    expect(NOT_YET_CHECKS.has('eth_sendRawTransaction')).toBe(false);
  });
});

describe('log range parts', () => {
  it('are aligned on multiples of the size, the ends cut to the request', () => {
    expect(aligned({ from: 5, to: 4_100 }, 2_000)).toEqual([
      { from: 5, to: 1_999 },
      { from: 2_000, to: 3_999 },
      { from: 4_000, to: 4_100 },
    ]);
    expect(aligned({ from: 0, to: 50_000 }, 2_000)).toHaveLength(26);
    expect(aligned({ from: 7, to: 7 }, 2_000)).toEqual([{ from: 7, to: 7 }]);
  });
});

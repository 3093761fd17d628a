import { describe, expect, it } from 'vitest';
import type { RpcRequest } from '../../rpc/types.js';
import { blockNumberInBody, LatestRead, latestRead, quantity } from './latest-reads.js';

function request(method: string, params: unknown[]): RpcRequest {
  return { id: 1, method, params, raw: Buffer.from('') };
}

describe('latestRead', () => {
  it.each([
    ['eth_blockNumber', [], LatestRead.Head],
    ['eth_getBlockByNumber', ['latest', false], LatestRead.Block],
    ['eth_getBlockByNumber', ['0x10', false], LatestRead.None],
    ['eth_getBalance', ['0xabc'], LatestRead.State],
    ['eth_getBalance', ['0xabc', 'pending'], LatestRead.State],
    ['eth_getBalance', ['0xabc', 'finalized'], LatestRead.None],
    ['eth_call', [{}, 'latest'], LatestRead.State],
    ['eth_getStorageAt', ['0xabc', '0x0', '0x5'], LatestRead.None],
    ['eth_getLogs', [{ fromBlock: '0x1' }], LatestRead.State],
    ['eth_getLogs', [{ fromBlock: '0x1', toBlock: '0x5' }], LatestRead.None],
    ['eth_getLogs', [{ blockHash: '0xabc' }], LatestRead.None],
    ['eth_getTransactionReceipt', ['0xabc'], LatestRead.None],
    ['eth_chainId', [], LatestRead.None],
  ] as const)('%s %j', (method, params, expected) => {
    expect(latestRead(request(method, [...params]))).toBe(expected);
  });
});

describe('reading blocks out of answers', () => {
  it('finds the block number without parsing the block', () => {
    const body =
      '{"jsonrpc":"2.0","id":1,"result":{"hash":"0x1","transactions":[{"blockNumber":"0x9"}],"number":"0x1f"}}';
    expect(blockNumberInBody(Buffer.from(body))).toBe(31);
    expect(blockNumberInBody('{"jsonrpc":"2.0","id":1,"result":null}')).toBe(-1);
  });

  it('reads quantities', () => {
    expect(quantity('0x10')).toBe(16);
    expect(quantity('16')).toBe(-1);
    expect(quantity(null)).toBe(-1);
  });
});

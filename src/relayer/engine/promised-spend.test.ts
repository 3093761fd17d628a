import { describe, expect, it } from 'vitest';
import { PromisedSpend } from './promised-spend.js';

describe('PromisedSpend', () => {
  it('adds a batch once per token, and takes it off once when its nonce settles', () => {
    const promised = new PromisedSpend();
    promised.promise('b1', 'usdc', 10n);
    promised.promise('b1', 'usdc', 10n); // a fee bump of the same batch
    promised.promise('b2', 'usdc', 5n);
    promised.promise('b3', 'dai', 7n);
    expect([promised.of('usdc'), promised.of('dai'), promised.of('weth')]).toStrictEqual([15n, 7n, 0n]);
    expect(promised.batch('b2')).toStrictEqual({ token: 'usdc', total: 5n });
    promised.release('b1');
    promised.release('b1');
    promised.release('unknown');
    expect(promised.of('usdc')).toBe(5n);
    expect(promised.batch('b1')).toBeUndefined();
    expect([...promised.perToken]).toStrictEqual([
      ['usdc', 5n],
      ['dai', 7n],
    ]);
  });
});

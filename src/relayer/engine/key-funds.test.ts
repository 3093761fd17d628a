import { describe, expect, it } from 'vitest';
import { FUNDS_FRESH_MS, KeyFunds } from './key-funds.js';

const TOKEN = `0x${'a'.repeat(40)}`;

describe('KeyFunds', () => {
  it('knows nothing of a token before a pre-flight read it', () => {
    expect(new KeyFunds().forClaim(new Map(), 0).size).toBe(0);
  });

  it('spendable is the read figure less confirmed spending and what is in flight', () => {
    const funds = new KeyFunds();
    funds.read(TOKEN, 1_000n, 0);
    funds.spent(TOKEN, 300n);
    expect(funds.forClaim(new Map([[TOKEN, 200n]]), 1).get(TOKEN)).toStrictEqual({
      spendable: 500n,
      total: 1_000n,
    });
    expect(funds.forClaim(new Map([[TOKEN, 5_000n]]), 1).get(TOKEN)).toStrictEqual({
      spendable: 0n,
      total: 1_000n,
    });
    // A new read starts the spending over.
    funds.read(TOKEN, 700n, 2);
    expect(funds.forClaim(new Map(), 3).get(TOKEN)).toStrictEqual({ spendable: 700n, total: 700n });
  });

  it('old figures are not used: the next claim of the token is unfitted, and its pre-flight reads them again', () => {
    const funds = new KeyFunds();
    funds.read(TOKEN, 0n, 0);
    expect(funds.forClaim(new Map(), FUNDS_FRESH_MS).has(TOKEN)).toBe(true);
    expect(funds.forClaim(new Map(), FUNDS_FRESH_MS + 1).has(TOKEN)).toBe(false);
  });
});

/**
 * What one signing key can pay of each token, as its last pre-flight check read it (the lower
 * of balance and allowance), less what its batches confirmed since spent: the figures its
 * claims are fitted to (sql-relayer-claim.ts). Only a hint: the pre-flight check of each batch
 * stays the authority, and a batch it refuses is given back and the figures read again.
 */
import type { TokenFunds } from '../relayer-store.js';

/**
 * Figures of a token older than this are not used to fit claims: the next batch of it is claimed
 * as if they were unknown, and its pre-flight check reads them again. So a key topped up while
 * it could pay nothing of a token (and so signed nothing of it) takes that token up again.
 */
export const FUNDS_FRESH_MS = 10_000;

export class KeyFunds {
  private readonly tokens = new Map<string, { available: bigint; spentSince: bigint; readAt: number }>();

  /** A pre-flight check read `available` of `token` at `now`. */
  read(token: string, available: bigint, now: number): void {
    this.tokens.set(token, { available, spentSince: 0n, readAt: now });
  }

  /** A batch of `token` was confirmed: it spent `total` since the last read. */
  spent(token: string, total: bigint): void {
    const funds = this.tokens.get(token);
    if (funds !== undefined) funds.spentSince += total;
  }

  /** What each token's next batch may spend, given what the key's open transactions will. */
  forClaim(pending: ReadonlyMap<string, bigint>, now: number): Map<string, TokenFunds> {
    const out = new Map<string, TokenFunds>();
    for (const [token, { available, spentSince, readAt }] of this.tokens) {
      if (readAt < now - FUNDS_FRESH_MS) continue;
      const left = available - spentSince - (pending.get(token) ?? 0n);
      out.set(token, { spendable: left > 0n ? left : 0n, total: available });
    }
    return out;
  }
}

/**
 * What one key's open transactions will spend of each token, by batch: added when a batch is
 * signed, taken off when its nonce settles or is dropped. The pre-flight check asks for the new
 * batch plus this, and claims are fitted to what is left (key-funds.ts).
 */
export class PromisedSpend {
  private readonly byToken = new Map<string, bigint>();
  private readonly byBatch = new Map<string, { token: string; total: bigint }>();

  /** Amount promised per token (read by KeyFunds.forClaim). */
  get perToken(): ReadonlyMap<string, bigint> {
    return this.byToken;
  }

  of(token: string): bigint {
    return this.byToken.get(token) ?? 0n;
  }

  batch(batchId: string): { readonly token: string; readonly total: bigint } | undefined {
    return this.byBatch.get(batchId);
  }

  /** A batch was signed; a second call for it (a fee bump) changes nothing. */
  promise(batchId: string, token: string, total: bigint): void {
    if (this.byBatch.has(batchId)) return;
    this.byBatch.set(batchId, { token, total });
    this.byToken.set(token, this.of(token) + total);
  }

  /** The batch's nonce settled or was dropped: its total is no longer promised. */
  release(batchId: string): void {
    const promised = this.byBatch.get(batchId);
    if (promised === undefined) return;
    this.byBatch.delete(batchId);
    const left = this.of(promised.token) - promised.total;
    this.byToken.set(promised.token, left > 0n ? left : 0n);
  }
}

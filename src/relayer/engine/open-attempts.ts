/**
 * A key's signed, not yet settled transactions, grouped by nonce (a fee bump adds a second
 * attempt at the same nonce). The store is the truth; this is the worker's working copy,
 * rebuilt from `openAttempts` at every reconcile.
 */
import type { Attempt } from '../model.js';

export class OpenAttempts {
  private readonly byNonce = new Map<number, Attempt[]>();

  get nonceCount(): number {
    return this.byNonce.size;
  }

  replaceAll(attempts: readonly Attempt[]): void {
    this.byNonce.clear();
    for (const attempt of attempts) this.add(attempt);
  }

  add(attempt: Attempt): void {
    const group = this.byNonce.get(attempt.nonce);
    if (group === undefined) this.byNonce.set(attempt.nonce, [attempt]);
    else group.push(attempt);
  }

  /** Replaces a stored attempt by its newer copy (state or submittedAt changed). */
  update(attempt: Attempt): void {
    const group = this.byNonce.get(attempt.nonce);
    if (group === undefined) return;
    const index = group.findIndex((candidate) => candidate.id === attempt.id);
    if (index >= 0) group[index] = attempt;
  }

  settleNonce(nonce: number): void {
    this.byNonce.delete(nonce);
  }

  all(): Attempt[] {
    return [...this.byNonce.values()].flat();
  }

  /** Nonce groups in nonce order, each with its newest attempt last. */
  groups(): { nonce: number; attempts: readonly Attempt[]; newest: Attempt }[] {
    return [...this.byNonce.entries()]
      .sort(([a], [b]) => a - b)
      .map(([nonce, attempts]) => ({ nonce, attempts, newest: attempts[attempts.length - 1] as Attempt }));
  }

  findByHash(hash: string): Attempt | undefined {
    for (const group of this.byNonce.values()) {
      const found = group.find((attempt) => attempt.hash === hash);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

/**
 * Brute-force protection of the sign-in form: after MAX_FAILURES wrong tokens or keys from one
 * client IP within FAILURE_WINDOW_MS, that IP is locked out for LOCKOUT_MS (every attempt is
 * refused, the right secret too, without being checked). Kept in memory per process and
 * bounded: at most MAX_TRACKED addresses, the oldest forgotten first. Under `turnpike start`
 * each worker counts on its own (docs/dashboard.md says what that allows).
 */

export const MAX_FAILURES = 5;
export const FAILURE_WINDOW_MS = 5 * 60 * 1000;
export const LOCKOUT_MS = 5 * 60 * 1000;
const MAX_TRACKED = 10_000;

interface Failures {
  count: number;
  /** When the window of the counted failures began. */
  since: number;
  lockedUntil: number;
}

export class SignInGuard {
  private readonly byAddress = new Map<string, Failures>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds until `address` may try again; 0 when it may now. */
  lockedFor(address: string): number {
    const entry = this.byAddress.get(address);
    return entry === undefined ? 0 : Math.max(0, entry.lockedUntil - this.now());
  }

  /** Counts a wrong secret; true when this one locked the address out. */
  failed(address: string): boolean {
    const now = this.now();
    let entry = this.byAddress.get(address);
    if (entry === undefined || now - entry.since > FAILURE_WINDOW_MS) {
      entry = { count: 0, since: now, lockedUntil: entry?.lockedUntil ?? 0 };
      this.byAddress.delete(address);
      if (this.byAddress.size >= MAX_TRACKED) {
        const oldest = this.byAddress.keys().next().value;
        if (oldest !== undefined) this.byAddress.delete(oldest);
      }
      this.byAddress.set(address, entry);
    }
    entry.count++;
    if (entry.count < MAX_FAILURES) return false;
    entry.lockedUntil = now + LOCKOUT_MS;
    entry.count = 0;
    entry.since = now;
    return true;
  }

  /** A successful sign-in forgets the address's failures. */
  succeeded(address: string): void {
    this.byAddress.delete(address);
  }
}

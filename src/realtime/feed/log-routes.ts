/**
 * The live `logs` subscriptions indexed by the addresses they name, so a log is matched only
 * against the subscriptions for its address and those for any address — not against every
 * subscription of the network (10,000 subscribers × 100 logs a block would be a million checks).
 */
import type { FeedSubscription } from './feed-subscription.js';

export class LogRoutes {
  /** Subscriptions without an address filter. */
  readonly anyAddress = new Set<FeedSubscription>();
  private readonly byAddress = new Map<string, Set<FeedSubscription>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Subscriptions naming `address` (lowercase); undefined when none does. */
  forAddress(address: string): ReadonlySet<FeedSubscription> | undefined {
    return this.byAddress.get(address);
  }

  add(subscription: FeedSubscription): void {
    const addresses = subscription.filter?.addresses;
    if (addresses === undefined) {
      if (!this.anyAddress.has(subscription)) this.count++;
      this.anyAddress.add(subscription);
      return;
    }
    let added = false;
    for (const address of addresses) {
      let set = this.byAddress.get(address);
      if (set === undefined) {
        set = new Set();
        this.byAddress.set(address, set);
      }
      if (!set.has(subscription)) added = true;
      set.add(subscription);
    }
    if (added) this.count++;
  }

  delete(subscription: FeedSubscription): void {
    const addresses = subscription.filter?.addresses;
    if (addresses === undefined) {
      if (this.anyAddress.delete(subscription)) this.count--;
      return;
    }
    let removed = false;
    for (const address of addresses) {
      const set = this.byAddress.get(address);
      if (set?.delete(subscription) !== true) continue;
      removed = true;
      if (set.size === 0) this.byAddress.delete(address);
    }
    if (removed) this.count--;
  }
}

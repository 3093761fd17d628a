/**
 * The live `logs` subscriptions, grouped by filter and indexed by the addresses the filters name:
 * a log is matched only against the filters for its address and those for any address — not
 * against every subscription of the network (10,000 subscribers × 100 logs a block would be a
 * million checks) — and once per distinct filter, then handed to every subscription holding it
 * (many clients of one contract subscribe with the same filter).
 */
import type { FeedSubscription } from './feed-subscription.js';
import type { LogFilter } from './log-filter.js';

/** Subscriptions holding the same filter. */
export interface FilterGroup {
  readonly filter: LogFilter;
  readonly members: Set<FeedSubscription>;
}

/** Equal for filters that match the same logs as written (sets compared by their sorted values). */
function filterKey(filter: LogFilter): string {
  const set = (values: ReadonlySet<string> | undefined) =>
    values === undefined ? '*' : [...values].sort().join(',');
  return `${set(filter.addresses)}|${filter.topics.map(set).join('|')}`;
}

export class LogRoutes {
  /** Groups whose filter names no address. */
  readonly anyAddress = new Set<FilterGroup>();
  private readonly byAddress = new Map<string, Set<FilterGroup>>();
  private readonly groups = new Map<string, FilterGroup>();
  private readonly groupOf = new Map<FeedSubscription, FilterGroup>();

  get size(): number {
    return this.groupOf.size;
  }

  /** Groups whose filter names `address` (lowercase); undefined when none does. */
  forAddress(address: string): ReadonlySet<FilterGroup> | undefined {
    return this.byAddress.get(address);
  }

  add(subscription: FeedSubscription): void {
    if (this.groupOf.has(subscription)) return;
    const filter = subscription.filter!;
    const key = filterKey(filter);
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { filter, members: new Set() };
      this.groups.set(key, group);
      this.route(group, true);
    }
    group.members.add(subscription);
    this.groupOf.set(subscription, group);
  }

  delete(subscription: FeedSubscription): void {
    const group = this.groupOf.get(subscription);
    if (group === undefined) return;
    this.groupOf.delete(subscription);
    group.members.delete(subscription);
    if (group.members.size > 0) return;
    this.groups.delete(filterKey(group.filter));
    this.route(group, false);
  }

  /** Puts a group in (or takes it out of) the address index. */
  private route(group: FilterGroup, add: boolean): void {
    const addresses = group.filter.addresses;
    if (addresses === undefined) {
      if (add) this.anyAddress.add(group);
      else this.anyAddress.delete(group);
      return;
    }
    for (const address of addresses) {
      let set = this.byAddress.get(address);
      if (set === undefined) {
        if (!add) continue;
        set = new Set();
        this.byAddress.set(address, set);
      }
      if (add) set.add(group);
      else if (set.delete(group) && set.size === 0) this.byAddress.delete(address);
    }
  }
}

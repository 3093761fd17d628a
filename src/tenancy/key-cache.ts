/**
 * API key lookups for the hot path. A hit is a Map read by the presented secret (no hashing,
 * no I/O); a miss hashes the key and reads grant + balance once, coalescing concurrent misses
 * for the same key. Unknown keys are remembered briefly so a flood of bad keys costs the
 * database nothing. `refreshGrants()` re-reads every cached key in one query after a change
 * (revocation, plan edit); `refreshBalances()` re-reads credits and monthly usage.
 */
import { hashApiKey, looksLikeApiKey } from './api-key-secret.js';
import type { KeyGrant, TenancyStore } from './model.js';
import type { PlanRules, PlanRulesCache } from './plan-rules.js';
import type { ProjectAccount, ProjectAccounts } from './project-accounts.js';

export class KeyEntry {
  rules: PlanRules;
  /** Rate-limit bucket of the key (`k:<key id>`). */
  readonly rateKey: string;

  constructor(
    readonly hash: string,
    public grant: KeyGrant,
    rules: PlanRules,
    readonly account: ProjectAccount,
  ) {
    this.rules = rules;
    this.rateKey = `k:${grant.key.id}`;
  }

  isValidAt(now: number): boolean {
    const expiresAt = this.grant.key.expiresAt;
    return expiresAt === undefined || expiresAt > now;
  }
}

export interface KeyCacheOptions {
  maxKeys: number;
  /** How long an unknown key is answered from memory. @default 5000 */
  negativeTtlMs?: number;
  now?: () => number;
}

const MAX_NEGATIVE = 10_000;

export class KeyCache {
  private readonly entries = new Map<string, KeyEntry>();
  private readonly unknown = new Map<string, number>();
  private readonly pending = new Map<string, Promise<KeyEntry | undefined>>();
  private readonly negativeTtlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: Pick<TenancyStore, 'findGrant' | 'findGrants' | 'balances'>,
    private readonly accounts: ProjectAccounts,
    private readonly plans: PlanRulesCache,
    private readonly options: KeyCacheOptions,
  ) {
    this.negativeTtlMs = options.negativeTtlMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The entry, undefined for an unknown / revoked / expired key, or a promise on a miss. */
  lookup(secret: string): KeyEntry | undefined | Promise<KeyEntry | undefined> {
    const entry = this.entries.get(secret);
    if (entry !== undefined) return entry.isValidAt(this.now()) ? entry : undefined;
    const unknownUntil = this.unknown.get(secret);
    if (unknownUntil !== undefined) {
      if (unknownUntil > this.now()) return undefined;
      this.unknown.delete(secret);
    }
    if (!looksLikeApiKey(secret)) return undefined;
    let loading = this.pending.get(secret);
    if (loading === undefined) {
      loading = this.load(secret).finally(() => this.pending.delete(secret));
      this.pending.set(secret, loading);
    }
    return loading;
  }

  /** Display names: of the cached keys among `keyIds` (prefix and name), of the projects among `projectIds`. */
  describe(
    keyIds: ReadonlySet<string>,
    projectIds: ReadonlySet<string>,
  ): { keys: Map<string, string>; projects: Map<string, string> } {
    const keys = new Map<string, string>();
    const projects = new Map<string, string>();
    for (const { grant } of this.entries.values()) {
      if (keyIds.has(grant.key.id)) keys.set(grant.key.id, `${grant.key.prefix} ${grant.key.name}`);
      if (keyIds.has(grant.key.id) || projectIds.has(grant.project.id))
        projects.set(grant.project.id, grant.project.name);
    }
    return { keys, projects };
  }

  /**
   * Credits left per prepaid project with a cached key, as this process can tell (bounded by
   * the key cache, so a metric label per project stays bounded too).
   */
  creditsLeftByProject(): Map<string, number> {
    const left = new Map<string, number>();
    for (const entry of this.entries.values()) {
      const credits = entry.account.creditsLeft();
      if (credits !== undefined) left.set(entry.account.projectId, credits);
    }
    return left;
  }

  /** Re-reads every cached key after a change; forgets the unknown-key memory. */
  async refreshGrants(): Promise<void> {
    this.unknown.clear();
    if (this.entries.size === 0) return;
    const bySecret = [...this.entries];
    const grants = await this.store.findGrants(
      bySecret.map(([, entry]) => entry.hash),
      this.now(),
    );
    for (const [secret, entry] of bySecret) {
      const grant = grants.get(entry.hash);
      if (grant === undefined) {
        this.entries.delete(secret);
        continue;
      }
      entry.grant = grant;
      entry.rules = this.plans.get(grant.plan);
      if (grant.project.credits === undefined) entry.account.credits = undefined;
    }
  }

  /** Re-reads credits and month-to-date usage of every project with a cached key. */
  async refreshBalances(): Promise<void> {
    const accounts = new Map<string, ProjectAccount>();
    for (const entry of this.entries.values()) accounts.set(entry.account.projectId, entry.account);
    if (accounts.size === 0) return;
    await this.readBalances([...accounts.values()]);
  }

  private async readBalances(accounts: readonly ProjectAccount[]): Promise<void> {
    const bases = accounts.map((account) => account.snapshot());
    const balances = await this.store.balances(
      accounts.map((account) => account.projectId),
      this.now(),
    );
    accounts.forEach((account, index) => {
      const balance = balances.get(account.projectId);
      if (balance !== undefined) account.apply(balance, bases[index]!);
    });
  }

  private async load(secret: string): Promise<KeyEntry | undefined> {
    const hash = hashApiKey(secret);
    const grant = await this.store.findGrant(hash, this.now());
    if (grant === undefined) {
      if (this.unknown.size >= MAX_NEGATIVE) this.unknown.clear();
      this.unknown.set(secret, this.now() + this.negativeTtlMs);
      return undefined;
    }
    const account = this.accounts.get(grant.project.id);
    // Quotas and credits must be known before the first request of a project is admitted.
    if (!account.loaded) await this.readBalances([account]);
    const entry = new KeyEntry(hash, grant, this.plans.get(grant.plan), account);
    if (this.entries.size >= this.options.maxKeys) {
      // Map order is insertion order: drop the oldest entry (it is re-read on its next use).
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(secret, entry);
    return entry;
  }
}

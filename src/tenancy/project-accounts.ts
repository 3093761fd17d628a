/**
 * What this process knows of each project's credits and monthly usage: the figures last read
 * from the database, plus what this process has served since. The database figures include
 * every flush that committed before the read started; `base*` remembers how much of our own
 * usage that was, so local usage is never counted twice (a flush committing during the read
 * may be counted twice for one refresh, which only ever errs on the strict side).
 */
import type { ProjectBalance } from './model.js';

export class ProjectAccount {
  /** Prepaid compute units at the last read; undefined = not prepaid. */
  credits: number | undefined;
  monthRequests = 0;
  monthComputeUnits = 0;
  /** Admitted by this process (monotonic). */
  servedRequests = 0;
  servedComputeUnits = 0;
  /** Of the served figures, how much had been flushed (committed) by this process. */
  flushedRequests = 0;
  flushedComputeUnits = 0;
  /** The flushed figures when the last database read started. */
  private baseRequests = 0;
  private baseComputeUnits = 0;
  /** Whether the figures have been read from the database at least once. */
  loaded = false;

  constructor(readonly projectId: string) {}

  pendingComputeUnits(): number {
    return this.servedComputeUnits - this.baseComputeUnits;
  }

  pendingRequests(): number {
    return this.servedRequests - this.baseRequests;
  }

  /** Credits left as far as this process can tell. */
  creditsLeft(): number | undefined {
    return this.credits === undefined ? undefined : this.credits - this.pendingComputeUnits();
  }

  monthUsed(unit: 'requests' | 'compute_units'): number {
    return unit === 'requests'
      ? this.monthRequests + this.pendingRequests()
      : this.monthComputeUnits + this.pendingComputeUnits();
  }

  /** Call before the balance query starts; pass the result to `apply`. */
  snapshot(): { requests: number; computeUnits: number } {
    return { requests: this.flushedRequests, computeUnits: this.flushedComputeUnits };
  }

  apply(balance: ProjectBalance, base: { requests: number; computeUnits: number }): void {
    this.credits = balance.credits;
    this.monthRequests = balance.monthRequests;
    this.monthComputeUnits = balance.monthComputeUnits;
    this.baseRequests = base.requests;
    this.baseComputeUnits = base.computeUnits;
    this.loaded = true;
  }
}

export class ProjectAccounts {
  private readonly byId = new Map<string, ProjectAccount>();

  get(projectId: string): ProjectAccount {
    let account = this.byId.get(projectId);
    if (account === undefined) {
      account = new ProjectAccount(projectId);
      this.byId.set(projectId, account);
    }
    return account;
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  all(): IterableIterator<ProjectAccount> {
    return this.byId.values();
  }
}

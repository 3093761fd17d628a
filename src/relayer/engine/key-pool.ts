/**
 * The signing keys this process works with. Each key is leased (store.acquireKey) before a
 * worker runs on it; leases are renewed every third of `leaseMs`, and a key whose renewal
 * fails stops at once. Free keys (never leased, or a crashed process's expired lease) are
 * picked up on every renewal tick, so a fleet redistributes keys without coordination.
 *
 * `relayer.maxKeys` caps how many keys one process holds, so independent processes sharing a
 * database split the keys instead of the first one taking all of them.
 *
 * In a node:cluster each worker prefers its own share of the keys (index modulo count) and
 * takes another's only once that one's lease has lapsed, so N workers do not all race for all
 * keys at start.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../../logging/logger.js';
import type { RelayerChain } from '../chains/chain.js';
import type { RelayerStore } from '../relayer-store.js';
import type { EngineSettings } from './engine-settings.js';
import type { EngineStats } from './engine-stats.js';
import type { FeeOracle } from './fee-oracle.js';
import { KeyWorker } from './key-worker.js';
import { reconcileKey } from './reconcile.js';

export interface KeyPoolOptions {
  readonly store: RelayerStore;
  readonly chain: RelayerChain;
  readonly fees: FeeOracle;
  readonly stats: EngineStats;
  readonly log: Logger;
  readonly settings: EngineSettings;
  /** This process's place in a cluster, to split keys fairly; absent outside a cluster. */
  readonly share?: { readonly index: number; readonly count: number };
}

export class KeyPool {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly workers = new Map<string, { worker: KeyWorker; done: Promise<void> }>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  /** Where the next poke starts looking for an idle worker (round robin). */
  private nextPoke = 0;
  private closed = false;

  constructor(private readonly options: KeyPoolOptions) {}

  get heldKeys(): string[] {
    return [...this.workers.keys()];
  }

  async start(): Promise<void> {
    await this.options.store.registerKeys(this.options.chain.signers);
    await this.tick(true);
    const every = Math.max(200, Math.floor(this.options.settings.leaseMs / 3));
    this.timer = setInterval(() => {
      this.ticking ??= this.tick(false).finally(() => {
        this.ticking = undefined;
      });
    }, every);
    this.timer.unref();
    const { unfundedTimeoutMs } = this.options.settings;
    const sweepEvery = Math.min(5_000, Math.max(250, Math.floor(unfundedTimeoutMs / 4)));
    this.sweepTimer = setInterval(() => {
      this.sweeping ??= this.sweepUnfunded().finally(() => {
        this.sweeping = undefined;
      });
    }, sweepEvery);
    this.sweepTimer.unref();
  }

  /**
   * Fails the transfers a key found beyond all it can pay and no key claimed since, once they
   * waited `unfundedTimeoutMs` (a 202 ends `failed` with a reason, never in the queue forever).
   * Any process holding keys does it; the store's conditional update makes that safe.
   */
  private async sweepUnfunded(): Promise<void> {
    const { store, settings, stats, log } = this.options;
    if (this.closed || this.workers.size === 0) return;
    const now = Date.now();
    const failure = {
      code: 'ERR_RELAYER_INSUFFICIENT_FUNDS',
      message:
        `no signing key's token balance and allowance covered the amount within ` +
        `relayer.unfundedTimeoutMs (${settings.unfundedTimeoutMs} ms)`,
    } as const;
    try {
      const settled = await store.failUnfunded(now - settings.unfundedTimeoutMs, now, failure);
      stats.noteFailed(settled.failed.length, failure.code);
      if (settled.failed.length > 0)
        log.warn({ transfers: settled.failed.length }, 'relayer transfers failed: no key could pay them');
    } catch (err) {
      log.warn({ err }, 'relayer unfunded sweep failed; retrying');
    }
  }

  /**
   * The intake just stored transfers: wakes one idle worker, the next in turn. Waking all of
   * them on every commit (hundreds a second) had each look at the queue, mostly to find the
   * batch not yet due; the others still look at their next idle check (50 ms).
   */
  poke(): void {
    const workers = [...this.workers.values()];
    for (let i = 0; i < workers.length; i++) {
      const at = (this.nextPoke + i) % workers.length;
      const { worker } = workers[at]!;
      if (!worker.idle) continue;
      this.nextPoke = at + 1;
      worker.poke();
      return;
    }
  }

  private async tick(first: boolean): Promise<void> {
    const { store, settings, log } = this.options;
    const now = Date.now();
    for (const [address, entry] of this.workers) {
      if (entry.worker.lost) {
        this.workers.delete(address);
        continue;
      }
      const renewed = await store
        .renewKey(entry.worker.lease, settings.leaseMs, now)
        .catch((err: unknown) => {
          log.warn({ err, key: address }, 'relayer key lease renewal failed');
          return null;
        });
      if (renewed === undefined) entry.worker.stop();
      else if (renewed !== null) entry.worker.lease = renewed;
    }
    if (this.closed) return;
    for (const [index, address] of this.options.chain.signers.entries()) {
      if (this.workers.size >= settings.maxKeys) break;
      if (this.workers.has(address)) continue;
      // The cluster peers' keys wait one round, so each worker first takes its own share.
      const share = this.options.share;
      if (share !== undefined && first && index % share.count !== share.index) continue;
      const lease = await store
        .acquireKey(address, this.owner, settings.leaseMs, Date.now())
        .catch((err: unknown) => {
          log.warn({ err, key: address }, 'relayer key lease failed');
          return undefined;
        });
      if (lease === undefined || this.closed) continue;
      const worker = new KeyWorker(lease, { ...this.options, reconcile: reconcileKey });
      this.workers.set(address, { worker, done: worker.run() });
      log.info({ key: address, fencingToken: lease.fencingToken }, 'relayer key leased');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    await this.ticking;
    await this.sweeping;
    const entries = [...this.workers.values()];
    for (const { worker } of entries) worker.stop();
    await Promise.all(entries.map((entry) => entry.done));
    await Promise.all(
      entries.map((entry) => this.options.store.releaseKey(entry.worker.lease).catch(() => undefined)),
    );
    this.workers.clear();
  }
}

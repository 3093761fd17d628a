/**
 * One key worker on a real SqlRelayerStore (SQLite in a temp dir) and a FakeChain, for the
 * engine's unit tests: the test drives the steps (reconcile, fill, poll) and the clock.
 */
import { createLogger } from '../../src/logging/logger.js';
import type { EngineSettings } from '../../src/relayer/engine/engine-settings.js';
import { EngineStats } from '../../src/relayer/engine/engine-stats.js';
import { FeeOracle } from '../../src/relayer/engine/fee-oracle.js';
import { KeyWorker } from '../../src/relayer/engine/key-worker.js';
import { reconcileKey } from '../../src/relayer/engine/reconcile.js';
import type { KeyLease, TransferRecord } from '../../src/relayer/model.js';
import { SqlRelayerStore } from '../../src/relayer/sql-relayer-store.js';
import { createTestDatabase, type TestDatabase } from './databases.js';
import { FakeChain } from './fake-chain.js';

export const KEY = `0x${'1'.repeat(40)}`;
export const TOKEN = `0x${'7'.repeat(40)}`;

export function recipient(i: number): string {
  return `0x${i.toString(16).padStart(40, '0')}`;
}

export const TEST_SETTINGS: EngineSettings = {
  maxBatchSize: 10,
  batchFillMs: 0,
  maxInFlightPerKey: 4,
  pollMs: 10,
  leaseMs: 60_000,
  reconcileMs: 60_000,
  stuckAfterMs: 30_000,
  confirmations: 1,
  feeBumpPercent: 10,
  holdMs: 5_000,
  unfundedTimeoutMs: 60_000,
  dropAfterMs: 5_000,
  noopAfterRejections: 3,
  maxKeys: Number.POSITIVE_INFINITY,
};

export interface EngineHarness {
  readonly store: SqlRelayerStore;
  readonly chain: FakeChain;
  readonly settings: EngineSettings;
  /** A worker on a fresh lease of KEY taken by `owner` (the lease must be free or expired). */
  worker(owner?: string): Promise<KeyWorker>;
  /** Accepts one request with a transfer of `amount` to each recipient; returns the ids. */
  accept(recipients: readonly string[], amount?: bigint): Promise<string[]>;
  transfers(ids: readonly string[]): Promise<TransferRecord[]>;
  close(): Promise<void>;
}

let requests = 0;

export interface HarnessOptions extends Partial<EngineSettings> {
  /** The key never sent a transaction (by default its approve is mined at nonce 0). */
  readonly fresh?: boolean;
}

export async function engineHarness(options: HarnessOptions = {}): Promise<EngineHarness> {
  const { fresh = false, ...overrides } = options;
  const db: TestDatabase = await createTestDatabase('sqlite');
  const store = new SqlRelayerStore(db.store, { webhooks: false });
  const chain = new FakeChain({ signers: [KEY] });
  // The key's approve of the batch contract: its first transaction, at nonce 0.
  if (!fresh) chain.foreignTransaction(KEY);
  const settings = { ...TEST_SETTINGS, ...overrides };
  await store.registerKeys(chain.signers);
  const fees = new FeeOracle(chain, 0);
  const log = createLogger('silent');
  return {
    store,
    chain,
    settings,
    async worker(owner = 'process-a') {
      const lease: KeyLease | undefined = await store.acquireKey(KEY, owner, settings.leaseMs, Date.now());
      if (lease === undefined) throw new Error(`harness: ${owner} could not lease ${KEY}`);
      return new KeyWorker(lease, {
        store,
        chain,
        fees,
        stats: new EngineStats(),
        log,
        settings,
        reconcile: reconcileKey,
      });
    },
    async accept(recipients, amount = 5n) {
      requests++;
      const [result] = await store.acceptMany(
        [
          {
            projectId: null,
            idempotencyKey: `request-${requests}`,
            requestHash: `hash-${requests}`,
            transfers: recipients.map((to) => ({ token: TOKEN, to, amount })),
          },
        ],
        Date.now(),
      );
      if (result?.kind !== 'created') throw new Error('harness: request not created');
      return [...result.ids];
    },
    async transfers(ids) {
      const records = await store.getTransfers(ids);
      return ids.map((id) => records.find((record) => record.id === id)!);
    },
    async close() {
      await store.close();
      await db.drop();
    },
  };
}

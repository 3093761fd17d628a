/**
 * The shape of a chain family's method table: one entry per method states everything Turnpike
 * knows about it (cache policy, local answer, compute units, write class, pipeline rule), so
 * each fact is written once. Tables are compiled once at start-up; a lookup is one Map get (rules.ts).
 * Cache policy is plain data here: src/cache interprets it (rpc sits below cache).
 */
import type { RpcRequest } from '../types.js';
import type { LookupFn, MethodRule, RecoverableError } from './method-rule.js';

/** The chain families Turnpike has method tables for (a network's `type`). */
export type ChainFamily = 'evm' | 'near';

/** Compute units of a method its table does not price; plans may override any price. */
export const DEFAULT_COMPUTE_UNITS = 20;

/** Where a result names its block: a block (`number`, `hash`), an item in a block (`blockNumber`, `blockHash`), or a list of items. */
export type ResultShape = 'block' | 'item' | 'items';

/**
 * What a method's answer depends on, so the cache reasons about kinds of methods rather than
 * names. `optIn` methods are never cached by default, but a config rule that names them gets
 * the same block analysis (and so the same reorg safety) as the built-ins.
 */
export interface CachePolicy {
  /**
   * `static`: never changes. `ref`: a block parameter at `index`. `block-hash`: a bare block hash
   * at `index`. `tx`: a transaction hash; the block comes from the result. `logs`: a log filter.
   * NEAR (cache/near-policy.ts): `near-block`: a NEAR block reference (`finality`, `block_id`,
   * `chunk_id`, or `[block_id]`); `near-tx`: a transaction status, final once it says `FINAL`.
   */
  readonly kind: 'static' | 'ref' | 'block-hash' | 'tx' | 'logs' | 'near-block' | 'near-tx';
  readonly index?: number;
  /** Position of an address parameter (lowercased in the key). */
  readonly address?: number;
  /** How the result names its block, to check it against the block the answer was tied to. */
  readonly shape?: ResultShape;
  /** The block always exists when asked for by a known number: `null` means the node lags. */
  readonly mustExist?: boolean;
  /** Cached only when a config rule names the method. */
  readonly optIn?: boolean;
}

/**
 * Answered by the gateway itself when it can: `chain-id` from the network's configured chain
 * id, `head` from the chain tracker's head while it is fresh (`cache.blockNumberMaxAgeMs`).
 */
export type LocalAnswer = 'chain-id' | 'head';

/**
 * A write is never hedged (racing would broadcast twice for no gain). `idempotent`: a resend of
 * the same bytes is the same transaction (signed, so one tx hash), so it may be retried.
 * `once`: the node picks the nonce, so a retry after a timeout could send a second transaction.
 */
export type WriteClass = 'idempotent' | 'once';

/** One method as a table states it; anything left out takes the family's default. */
export interface MethodDefinition {
  readonly cache?: CachePolicy;
  readonly local?: LocalAnswer;
  /** Compute units; a method without them costs DEFAULT_COMPUTE_UNITS and is metered as `other`. */
  readonly units?: number;
  readonly write?: WriteClass;
  /** Refused over HTTP with ERR_METHOD_NOT_SUPPORTED, with this reason (subscriptions). */
  readonly unsupported?: string;
  readonly reportsHead?: (result: unknown, request: RpcRequest) => number | undefined;
  readonly reportsBlock?: (result: unknown) => number | undefined;
  readonly recover?: (request: RpcRequest, error: RecoverableError, lookup: LookupFn) => Promise<unknown>;
}

/** A compiled entry: the pipeline's rule plus the facts the cache, network and tenancy read. */
export interface MethodEntry extends MethodRule {
  readonly retry: boolean;
  readonly cache: CachePolicy | undefined;
  readonly local: LocalAnswer | undefined;
  readonly units: number;
  /** Usage is metered under the method's own name (its table prices it). */
  readonly pricedByName: boolean;
  readonly write: WriteClass | undefined;
}

export interface MethodTable {
  readonly family: ChainFamily;
  readonly entries: ReadonlyMap<string, MethodEntry>;
  /** The entry of every method the table does not name. */
  readonly unknown: MethodEntry;
}

export function methodTable(
  family: ChainFamily,
  definitions: Readonly<Record<string, MethodDefinition>>,
): MethodTable {
  const entries = new Map<string, MethodEntry>();
  for (const [method, definition] of Object.entries(definitions))
    entries.set(method, new CompiledEntry(definition));
  return { family, entries, unknown: new CompiledEntry({}) };
}

/** A class, so every entry has one hidden class of its own (monomorphic reads on the hot path). */
class CompiledEntry implements MethodEntry {
  readonly hedge: boolean;
  readonly retry: boolean;
  readonly unsupported: string | undefined;
  readonly reportsHead: MethodDefinition['reportsHead'];
  readonly reportsBlock: MethodDefinition['reportsBlock'];
  readonly recover: MethodDefinition['recover'];
  readonly cache: CachePolicy | undefined;
  readonly local: LocalAnswer | undefined;
  readonly units: number;
  readonly pricedByName: boolean;
  readonly write: WriteClass | undefined;

  constructor(definition: MethodDefinition) {
    this.hedge = definition.write === undefined && definition.unsupported === undefined;
    this.retry = definition.write !== 'once';
    this.unsupported = definition.unsupported;
    this.reportsHead = definition.reportsHead;
    this.reportsBlock = definition.reportsBlock;
    this.recover = definition.recover;
    this.cache = definition.cache;
    this.local = definition.local;
    this.units = definition.units ?? DEFAULT_COMPUTE_UNITS;
    this.pricedByName = definition.units !== undefined;
    this.write = definition.write;
  }
}

/**
 * What each method's answer depends on, so the policy reasons about kinds of methods rather
 * than names. `optIn` methods are never cached by default, but a config rule that names them
 * gets the same block analysis (and so the same reorg safety) as the built-ins.
 */

/** Where a result names its block: a block (`number`, `hash`), an item in a block (`blockNumber`, `blockHash`), or a list of items. */
export type ResultShape = 'block' | 'item' | 'items';

export interface MethodSpec {
  /**
   * `static`: never changes. `ref`: a block parameter at `index`. `block-hash`: a bare block hash
   * at `index`. `tx`: a transaction hash; the block comes from the result. `logs`: a log filter.
   */
  readonly kind: 'static' | 'ref' | 'block-hash' | 'tx' | 'logs';
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

const BLOCK: MethodSpec = { kind: 'ref', index: 0, shape: 'block', mustExist: true };
const COUNT_BY_NUMBER: MethodSpec = { kind: 'ref', index: 0, mustExist: true };
const ACCOUNT_AT_1: MethodSpec = { kind: 'ref', index: 1, address: 0 };
const ACCOUNT_AT_2: MethodSpec = { kind: 'ref', index: 2, address: 0 };
const BY_BLOCK_HASH: MethodSpec = { kind: 'block-hash', index: 0 };

export const METHOD_SPECS: ReadonlyMap<string, MethodSpec> = new Map<string, MethodSpec>([
  ['eth_chainId', { kind: 'static' }],
  ['net_version', { kind: 'static' }],

  ['eth_getBlockByNumber', BLOCK],
  ['eth_getBlockTransactionCountByNumber', COUNT_BY_NUMBER],
  ['eth_getUncleCountByBlockNumber', COUNT_BY_NUMBER],
  ['eth_getBlockReceipts', { kind: 'ref', index: 0, shape: 'items', mustExist: true }],
  ['eth_getTransactionByBlockNumberAndIndex', { kind: 'ref', index: 0, shape: 'item' }],
  // An uncle's own number and hash are not the block's, so there is nothing to check.
  ['eth_getUncleByBlockNumberAndIndex', { kind: 'ref', index: 0 }],
  ['eth_getBalance', ACCOUNT_AT_1],
  ['eth_getCode', ACCOUNT_AT_1],
  ['eth_getTransactionCount', ACCOUNT_AT_1],
  ['eth_getStorageAt', ACCOUNT_AT_2],
  ['eth_getProof', ACCOUNT_AT_2],
  ['eth_call', { kind: 'ref', index: 1 }],
  ['eth_feeHistory', { kind: 'ref', index: 1 }],

  ['eth_getBlockByHash', { kind: 'block-hash', index: 0, shape: 'block' }],
  ['eth_getTransactionByBlockHashAndIndex', { kind: 'block-hash', index: 0, shape: 'item' }],
  ['eth_getBlockTransactionCountByHash', BY_BLOCK_HASH],
  ['eth_getUncleCountByBlockHash', BY_BLOCK_HASH],
  ['eth_getUncleByBlockHashAndIndex', BY_BLOCK_HASH],

  ['eth_getTransactionByHash', { kind: 'tx', shape: 'item' }],
  ['eth_getTransactionReceipt', { kind: 'tx', shape: 'item' }],

  ['eth_getLogs', { kind: 'logs' }],

  ['eth_estimateGas', { kind: 'ref', index: 1, optIn: true }],
  ['eth_createAccessList', { kind: 'ref', index: 1, optIn: true }],
  ['debug_traceCall', { kind: 'ref', index: 1, optIn: true }],
  ['debug_traceBlockByNumber', { kind: 'ref', index: 0, optIn: true }],
  ['debug_traceBlockByHash', { kind: 'block-hash', index: 0, optIn: true }],
  ['trace_block', { kind: 'ref', index: 0, shape: 'items', optIn: true }],
  ['trace_replayBlockTransactions', { kind: 'ref', index: 0, optIn: true }],
  ['trace_call', { kind: 'ref', index: 2, optIn: true }],
  ['trace_transaction', { kind: 'tx', shape: 'items', optIn: true }],
]);

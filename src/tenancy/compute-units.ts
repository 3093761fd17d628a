/**
 * What one request costs, in compute units (CU): roughly the work it makes a node do. Credits
 * and compute-unit quotas are counted in CU. A plan's `computeUnits` map overrides any entry;
 * methods not listed cost DEFAULT_COMPUTE_UNITS.
 */

export const DEFAULT_COMPUTE_UNITS = 20;

/** Built-in weights; the figures are Turnpike's own, relative to a plain state read (~20). */
export const BUILTIN_COMPUTE_UNITS: Readonly<Record<string, number>> = {
  // Answered from node memory.
  web3_clientVersion: 5,
  net_version: 5,
  net_listening: 5,
  net_peerCount: 5,
  eth_chainId: 5,
  eth_syncing: 5,
  eth_blockNumber: 10,
  eth_gasPrice: 10,
  eth_maxPriorityFeePerGas: 10,
  eth_blobBaseFee: 10,
  eth_feeHistory: 15,
  // One state or index lookup.
  eth_getBalance: 20,
  eth_getTransactionCount: 20,
  eth_getCode: 20,
  eth_getStorageAt: 20,
  eth_getBlockByNumber: 20,
  eth_getBlockByHash: 20,
  eth_getTransactionByHash: 20,
  eth_getTransactionReceipt: 20,
  eth_getBlockTransactionCountByNumber: 20,
  eth_getBlockTransactionCountByHash: 20,
  eth_getProof: 40,
  // Execution.
  eth_call: 30,
  eth_estimateGas: 80,
  eth_createAccessList: 80,
  eth_getBlockReceipts: 100,
  eth_getLogs: 80,
  // Writes fan out to the network.
  eth_sendRawTransaction: 250,
  // Tracing replays whole blocks or transactions.
  debug_traceTransaction: 300,
  debug_traceCall: 300,
  debug_traceBlockByNumber: 600,
  debug_traceBlockByHash: 600,
  trace_transaction: 300,
  trace_block: 600,
  trace_filter: 600,
  // The relayer API's POST, per transfer stored (src/relayer/api/relayer-access.ts).
  relayer_transfers: DEFAULT_COMPUTE_UNITS,
};

/**
 * Methods priced at the default, listed so that usage is metered under their own name (names
 * in no table are metered as `other`, so callers cannot grow the usage table at will).
 */
export const DEFAULT_PRICED_METHODS: readonly string[] = [
  'web3_sha3',
  'eth_accounts',
  'eth_protocolVersion',
  'eth_getTransactionByBlockHashAndIndex',
  'eth_getTransactionByBlockNumberAndIndex',
  'eth_getUncleCountByBlockHash',
  'eth_getUncleCountByBlockNumber',
  'eth_newFilter',
  'eth_newBlockFilter',
  'eth_newPendingTransactionFilter',
  'eth_getFilterChanges',
  'eth_getFilterLogs',
  'eth_uninstallFilter',
  'eth_sendTransaction',
  'eth_sign',
  'eth_signTransaction',
  'eth_subscribe',
  'eth_unsubscribe',
];

/** One plan's price list: built-ins overlaid with the plan's own weights. */
export class ComputeUnitTable {
  private readonly weights: Map<string, number>;

  constructor(overrides: Readonly<Record<string, number>> = {}) {
    this.weights = new Map(Object.entries(BUILTIN_COMPUTE_UNITS));
    for (const [method, units] of Object.entries(overrides)) this.weights.set(method, units);
  }

  cost(method: string): number {
    return this.weights.get(method) ?? DEFAULT_COMPUTE_UNITS;
  }

  /** Every method the table prices by name. */
  names(): IterableIterator<string> {
    return this.weights.keys();
  }
}

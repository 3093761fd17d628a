/**
 * Everything Turnpike knows about EVM JSON-RPC methods, one entry per method: cache policy,
 * local answer, compute units (Turnpike's own weights, relative to a plain state read), write
 * class and pipeline rule. Methods not listed get the defaults of method-table.ts.
 */
import { recoverRawTransaction } from './eth-send-raw-transaction.js';
import { hexToNumber, includedBlock, latestBlockNumber } from './evm-head-reports.js';
import { type CachePolicy, DEFAULT_COMPUTE_UNITS, type MethodTable, methodTable } from './method-table.js';

/** Priced at the default but metered under its own name (names in no table are metered as `other`). */
const NAMED = DEFAULT_COMPUTE_UNITS;

const STATIC: CachePolicy = { kind: 'static' };
const BLOCK: CachePolicy = { kind: 'ref', index: 0, shape: 'block', mustExist: true };
const COUNT_BY_NUMBER: CachePolicy = { kind: 'ref', index: 0, mustExist: true };
const ACCOUNT_AT_1: CachePolicy = { kind: 'ref', index: 1, address: 0 };
const ACCOUNT_AT_2: CachePolicy = { kind: 'ref', index: 2, address: 0 };
const BY_BLOCK_HASH: CachePolicy = { kind: 'block-hash', index: 0 };
const TX_ITEM: CachePolicy = { kind: 'tx', shape: 'item' };
const SUBSCRIPTION = 'subscriptions need a WebSocket connection';

export const EVM_METHODS: MethodTable = methodTable('evm', {
  // Answered from node memory (or by the gateway itself).
  web3_clientVersion: { units: 5 },
  web3_sha3: { units: NAMED },
  net_version: { units: 5, cache: STATIC },
  net_listening: { units: 5 },
  net_peerCount: { units: 5 },
  eth_chainId: { units: 5, cache: STATIC, local: 'chain-id' },
  eth_syncing: { units: 5 },
  eth_protocolVersion: { units: NAMED },
  eth_accounts: { units: NAMED },
  eth_blockNumber: { units: 10, local: 'head', reportsHead: hexToNumber },
  eth_gasPrice: { units: 10 },
  eth_maxPriorityFeePerGas: { units: 10 },
  eth_blobBaseFee: { units: 10 },
  eth_feeHistory: { units: 15, cache: { kind: 'ref', index: 1 } },

  // Blocks by number.
  eth_getBlockByNumber: { units: 20, cache: BLOCK, reportsHead: latestBlockNumber },
  eth_getBlockTransactionCountByNumber: { units: 20, cache: COUNT_BY_NUMBER },
  eth_getUncleCountByBlockNumber: { units: NAMED, cache: COUNT_BY_NUMBER },
  eth_getBlockReceipts: { units: 100, cache: { kind: 'ref', index: 0, shape: 'items', mustExist: true } },
  eth_getTransactionByBlockNumberAndIndex: { units: NAMED, cache: { kind: 'ref', index: 0, shape: 'item' } },
  // An uncle's own number and hash are not the block's, so there is nothing to check.
  eth_getUncleByBlockNumberAndIndex: { cache: { kind: 'ref', index: 0 } },

  // State at a block.
  eth_getBalance: { units: 20, cache: ACCOUNT_AT_1 },
  eth_getCode: { units: 20, cache: ACCOUNT_AT_1 },
  eth_getTransactionCount: { units: 20, cache: ACCOUNT_AT_1 },
  eth_getStorageAt: { units: 20, cache: ACCOUNT_AT_2 },
  eth_getProof: { units: 40, cache: ACCOUNT_AT_2 },
  eth_call: { units: 30, cache: { kind: 'ref', index: 1 } },
  eth_estimateGas: { units: 80, cache: { kind: 'ref', index: 1, optIn: true } },
  eth_createAccessList: { units: 80, cache: { kind: 'ref', index: 1, optIn: true } },

  // Blocks by hash.
  eth_getBlockByHash: { units: 20, cache: { kind: 'block-hash', index: 0, shape: 'block' } },
  eth_getTransactionByBlockHashAndIndex: {
    units: NAMED,
    cache: { kind: 'block-hash', index: 0, shape: 'item' },
  },
  eth_getBlockTransactionCountByHash: { units: 20, cache: BY_BLOCK_HASH },
  eth_getUncleCountByBlockHash: { units: NAMED, cache: BY_BLOCK_HASH },
  eth_getUncleByBlockHashAndIndex: { cache: BY_BLOCK_HASH },

  // Transactions and logs.
  eth_getTransactionByHash: { units: 20, cache: TX_ITEM, reportsBlock: includedBlock },
  eth_getTransactionReceipt: { units: 20, cache: TX_ITEM, reportsBlock: includedBlock },
  eth_getLogs: { units: 80, cache: { kind: 'logs' } },

  // Filters live on one node.
  eth_newFilter: { units: NAMED },
  eth_newBlockFilter: { units: NAMED },
  eth_newPendingTransactionFilter: { units: NAMED },
  eth_getFilterChanges: { units: NAMED },
  eth_getFilterLogs: { units: NAMED },
  eth_uninstallFilter: { units: NAMED },

  // Writes fan out to the network.
  eth_sendRawTransaction: { units: 250, write: 'idempotent', recover: recoverRawTransaction },
  eth_sendTransaction: { units: NAMED, write: 'once' },
  eth_sign: { units: NAMED },
  eth_signTransaction: { units: NAMED },

  // Subscriptions need a connection that stays open.
  eth_subscribe: { units: NAMED, unsupported: SUBSCRIPTION },
  eth_unsubscribe: { units: NAMED, unsupported: SUBSCRIPTION },
  // Not called but sent: the price of one notification a subscription delivers (metered per
  // notification under this name over WebSocket, docs/websocket.md#metering).
  eth_subscription: { units: 10, unsupported: 'eth_subscription is the notification a subscription sends' },

  // Tracing replays whole blocks or transactions.
  debug_traceTransaction: { units: 300 },
  debug_traceCall: { units: 300, cache: { kind: 'ref', index: 1, optIn: true } },
  debug_traceBlockByNumber: { units: 600, cache: { kind: 'ref', index: 0, optIn: true } },
  debug_traceBlockByHash: { units: 600, cache: { kind: 'block-hash', index: 0, optIn: true } },
  trace_transaction: { units: 300, cache: { kind: 'tx', shape: 'items', optIn: true } },
  trace_block: { units: 600, cache: { kind: 'ref', index: 0, shape: 'items', optIn: true } },
  trace_filter: { units: 600 },
  trace_replayBlockTransactions: { cache: { kind: 'ref', index: 0, optIn: true } },
  trace_call: { cache: { kind: 'ref', index: 2, optIn: true } },
});

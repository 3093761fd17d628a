/**
 * Everything Turnpike knows about NEAR JSON-RPC methods (networks with `type: near`): cache policy
 * by NEAR finality, compute units (the same scale as the EVM table: a plain state read ≈ 20),
 * write class. Signed transactions are idempotent writes: the same bytes are the same
 * transaction (one hash), and nearcore answers a known transaction with its status, so a retry
 * rebroadcasts them on another node (an `InvalidNonce` for bytes already applied is recovered
 * by looking the hash up: near-send-tx.ts). Methods not listed get the defaults of method-table.ts.
 */
import { DEFAULT_COMPUTE_UNITS, type MethodTable, methodTable } from './method-table.js';
import { nearBlockHead, nearStatusHead } from './near-head-reports.js';
import { recoverNearSend } from './near-send-tx.js';

const NAMED = DEFAULT_COMPUTE_UNITS;
const AT_BLOCK = { kind: 'near-block' } as const;
const TX_STATUS = { kind: 'near-tx' } as const;

export const NEAR_METHODS: MethodTable = methodTable('near', {
  // Node state: the head moves, never cached.
  status: { units: 10, reportsHead: nearStatusHead },
  health: { units: 5 },
  network_info: { units: NAMED },
  EXPERIMENTAL_genesis_config: { units: NAMED, cache: { kind: 'static' } },
  EXPERIMENTAL_protocol_config: { units: NAMED, cache: AT_BLOCK },

  // Blocks and chunks: cached by block hash, by a final height, or at `finality: final`.
  block: { units: 20, cache: AT_BLOCK, reportsHead: nearBlockHead },
  chunk: { units: 20, cache: AT_BLOCK },
  gas_price: { units: 10, cache: AT_BLOCK },
  validators: { units: 20, cache: AT_BLOCK },
  EXPERIMENTAL_validators_ordered: { units: 20, cache: AT_BLOCK },
  EXPERIMENTAL_changes: { units: 40, cache: AT_BLOCK },
  EXPERIMENTAL_changes_in_block: { units: 40, cache: AT_BLOCK },
  block_effects: { units: 40, cache: AT_BLOCK },
  changes: { units: 40, cache: AT_BLOCK },
  light_client_proof: { units: 40 },
  next_light_client_block: { units: 20 },

  // Account state, access keys and contract views at a block.
  query: { units: 20, cache: AT_BLOCK },

  // Transactions: a status is cached once it is FINAL; sends are idempotent writes.
  tx: { units: 20, cache: TX_STATUS },
  EXPERIMENTAL_tx_status: { units: 30, cache: TX_STATUS },
  EXPERIMENTAL_receipt: { units: 20 },
  send_tx: { units: 250, write: 'idempotent', recover: recoverNearSend },
  broadcast_tx_async: { units: 250, write: 'idempotent', recover: recoverNearSend },
  broadcast_tx_commit: { units: 250, write: 'idempotent', recover: recoverNearSend },
});

/** The emulator's answers in nearcore's JSON view shapes (snake_case, as on the wire). */
import type { EmulatedBlock, NearChain, TxRecord, WaitLevel } from './near-chain.js';
import { derived } from './near-chain.js';
import { actionView } from './signed-transaction.js';
import { TX_BASE_GAS } from './tx-admission.js';

const ZERO_HASH = '11111111111111111111111111111111';
const PROTOCOL_VERSION = 73;
const VALIDATOR = 'validator.emulator';
const VALIDATOR_KEY = 'ed25519:6DSjZ8mvsRZDvFqFxo8tCKePG96omXW7eVYVSySmDk8e';
const SIGNATURE =
  'ed25519:3ZXaqHJrXnyDmcgzjqZVTJTdiHNTWf9FpCiYzfNeThBMEDNiKwxgSNtLfnCLFGArnxpDRVN7CchYzCnZyDZtyY1V';
const GAS_LIMIT = 1_000_000_000_000_000;

export function statusView(head: EmulatedBlock, genesis: EmulatedBlock, chainId: string): unknown {
  const seconds = Number(head.timestampNs / 1_000_000n);
  return {
    chain_id: chainId,
    genesis_hash: genesis.hash,
    latest_protocol_version: PROTOCOL_VERSION,
    protocol_version: PROTOCOL_VERSION,
    node_public_key: VALIDATOR_KEY,
    rpc_addr: '127.0.0.1:3030',
    uptime_sec: Math.floor(process.uptime()),
    validators: [{ account_id: VALIDATOR }],
    version: { build: 'turnpike-near-emulator', commit: 'emulator', version: '2.4.0' },
    sync_info: {
      earliest_block_hash: genesis.hash,
      earliest_block_height: genesis.height,
      earliest_block_time: new Date(Number(genesis.timestampNs / 1_000_000n)).toISOString(),
      epoch_id: ZERO_HASH,
      epoch_start_height: genesis.height,
      latest_block_hash: head.hash,
      latest_block_height: head.height,
      latest_block_time: new Date(seconds).toISOString(),
      latest_state_root: derived(head.hash, 'state'),
      syncing: false,
    },
    detailed_debug_status: null,
  };
}

export function chunkHeaderView(block: EmulatedBlock, gasPrice: bigint): Record<string, unknown> {
  return {
    balance_burnt: (BigInt(block.txHashes.length) * TX_BASE_GAS * gasPrice).toString(),
    chunk_hash: block.chunkHash,
    encoded_length: 8,
    encoded_merkle_root: derived(block.chunkHash, 'encoded'),
    gas_limit: GAS_LIMIT,
    gas_used: block.txHashes.length * Number(TX_BASE_GAS),
    height_created: block.height,
    height_included: block.height,
    outcome_root: ZERO_HASH,
    outgoing_receipts_root: ZERO_HASH,
    prev_block_hash: block.prevHash,
    prev_state_root: derived(block.prevHash, 'state'),
    rent_paid: '0',
    shard_id: 0,
    signature: SIGNATURE,
    tx_root: ZERO_HASH,
    validator_proposals: [],
    validator_reward: '0',
  };
}

export function blockView(chain: NearChain, block: EmulatedBlock): unknown {
  const final = chain.blockAt(Math.max(1, Math.min(block.height, chain.finalHeight)))!;
  return {
    author: VALIDATOR,
    header: {
      approvals: [SIGNATURE],
      block_merkle_root: derived(block.hash, 'merkle'),
      block_ordinal: block.height,
      challenges_result: [],
      challenges_root: ZERO_HASH,
      chunk_headers_root: derived(block.chunkHash, 'headers'),
      chunk_mask: [true],
      chunk_receipts_root: ZERO_HASH,
      chunk_tx_root: ZERO_HASH,
      chunks_included: 1,
      epoch_id: ZERO_HASH,
      gas_price: chain.gasPrice.toString(),
      hash: block.hash,
      height: block.height,
      last_ds_final_block: chain.blockAt(Math.max(1, block.height - 1))!.hash,
      last_final_block: final.hash,
      latest_protocol_version: PROTOCOL_VERSION,
      next_bp_hash: ZERO_HASH,
      next_epoch_id: ZERO_HASH,
      outcome_root: ZERO_HASH,
      prev_hash: block.prevHash,
      prev_height: block.height - 1,
      prev_state_root: derived(block.prevHash, 'state'),
      random_value: derived(block.hash, 'random'),
      rent_paid: '0',
      signature: SIGNATURE,
      timestamp: Number(block.timestampNs),
      timestamp_nanosec: block.timestampNs.toString(),
      total_supply: '1000000000000000000000000000000000',
      validator_proposals: [],
      validator_reward: '0',
    },
    chunks: [chunkHeaderView(block, chain.gasPrice)],
  };
}

export function chunkView(chain: NearChain, block: EmulatedBlock): unknown {
  return {
    author: VALIDATOR,
    header: chunkHeaderView(block, chain.gasPrice),
    transactions: block.txHashes.map((hash) => transactionView(chain.transactions.get(hash)!)),
    receipts: [],
  };
}

export function transactionView(record: TxRecord): unknown {
  const tx = record.tx;
  return {
    signer_id: tx.signerId,
    public_key: tx.publicKey,
    nonce: Number(tx.nonce),
    receiver_id: tx.receiverId,
    actions: tx.actions.map(actionView),
    priority_fee: 0,
    signature: tx.signature,
    hash: tx.hash,
  };
}

/**
 * A `tx` / `send_tx` answer. Before execution nearcore answers the status alone; after, the full
 * outcome (with `receipts` for EXPERIMENTAL_tx_status).
 */
export function outcomeView(
  chain: NearChain,
  record: TxRecord,
  level: WaitLevel,
  withReceipts: boolean,
): unknown {
  if (level === 'NONE' || level === 'INCLUDED' || level === 'INCLUDED_FINAL' || record.result === undefined)
    return { final_execution_status: level };
  const tx = record.tx;
  const result = record.result;
  const price = chain.gasPrice;
  const includedIn = chain.blockAt(record.included!)!;
  const executedIn = chain.blockAt(record.executed!)!;
  const receiptOutcomes: unknown[] = [
    outcomeWithId(
      record.receiptId,
      executedIn.hash,
      tx.receiverId,
      result.logs,
      result.gasBurnt * price,
      result.gasBurnt,
      result.status,
      record.refunded === undefined ? [] : [record.refundId],
    ),
  ];
  if (record.refunded !== undefined) {
    const refundedIn = chain.blockAt(record.refunded)!;
    receiptOutcomes.push(
      outcomeWithId(record.refundId, refundedIn.hash, tx.signerId, [], 0n, 0n, { SuccessValue: '' }, []),
    );
  }
  const answer: Record<string, unknown> = {
    final_execution_status: level,
    status: result.status,
    transaction: transactionView(record),
    transaction_outcome: outcomeWithId(
      tx.hash,
      includedIn.hash,
      tx.signerId,
      [],
      TX_BASE_GAS * price,
      TX_BASE_GAS,
      { SuccessReceiptId: record.receiptId },
      [record.receiptId],
    ),
    receipts_outcome: receiptOutcomes,
  };
  if (withReceipts) answer.receipts = [];
  return answer;
}

function outcomeWithId(
  id: string,
  blockHash: string,
  executor: string,
  logs: readonly string[],
  tokensBurnt: bigint,
  gasBurnt: bigint,
  status: unknown,
  receiptIds: readonly string[],
): unknown {
  return {
    id,
    block_hash: blockHash,
    proof: [],
    outcome: {
      executor_id: executor,
      gas_burnt: Number(gasBurnt),
      tokens_burnt: tokensBurnt.toString(),
      logs,
      receipt_ids: receiptIds,
      status,
      metadata: { version: 1, gas_profile: null },
    },
  };
}

export function validatorsView(block: EmulatedBlock): unknown {
  const validator = {
    account_id: VALIDATOR,
    public_key: VALIDATOR_KEY,
    is_slashed: false,
    stake: '1000000000000000000000000000000',
    shards: [0],
    num_produced_blocks: block.height,
    num_expected_blocks: block.height,
    num_produced_chunks: block.height,
    num_expected_chunks: block.height,
  };
  return {
    current_validators: [validator],
    next_validators: [
      { account_id: VALIDATOR, public_key: VALIDATOR_KEY, stake: validator.stake, shards: [0] },
    ],
    current_fishermen: [],
    next_fishermen: [],
    current_proposals: [],
    prev_epoch_kickout: [],
    epoch_start_height: 1,
    epoch_height: 1,
  };
}

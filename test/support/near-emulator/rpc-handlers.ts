/**
 * The NEAR JSON-RPC methods one emulated node answers, over its view of the chain (a node may
 * lag the chain by some blocks, or report another chain id, for health tests).
 */

import {
  type EmulatedBlock,
  type NearChain,
  type TxRecord,
  WAIT_LEVELS,
  type WaitLevel,
} from './near-chain.js';
import {
  handlerError,
  methodNotFound,
  requestError,
  timeoutError,
  unknownBlock,
  unknownTransaction,
} from './near-errors.js';
import { ContractPanic, callTokenView } from './token-contract.js';
import { blockView, chunkView, outcomeView, statusView, validatorsView } from './views.js';

export interface NodeView {
  readonly chain: NearChain;
  /** Blocks this node is behind the chain. */
  readonly lagBlocks: number;
  readonly chainId: string;
  /** How long send_tx / tx wait for `wait_until` before TIMEOUT_ERROR. */
  readonly txTimeoutMs: number;
}

type Params = Record<string, unknown> | unknown[] | undefined;

export async function handleNearMethod(node: NodeView, method: string, params: Params): Promise<unknown> {
  switch (method) {
    case 'status':
      return statusView(nodeHead(node), node.chain.blocks[0]!, node.chainId);
    case 'block':
      return blockView(node.chain, resolveBlock(node, params, true));
    case 'chunk':
      return chunkView(node.chain, resolveChunkBlock(node, params));
    case 'gas_price':
      return { gas_price: node.chain.gasPrice.toString() };
    case 'validators':
      return validatorsView(nodeHead(node));
    case 'query':
      return query(node, asObject(params));
    case 'tx':
    case 'EXPERIMENTAL_tx_status':
      return txStatus(node, params, method === 'EXPERIMENTAL_tx_status');
    case 'send_tx': {
      const object = asObject(params);
      const record = node.chain.submit(object.signed_tx_base64);
      return waitAndView(node, record, waitLevel(object.wait_until), false);
    }
    case 'broadcast_tx_async':
      return node.chain.submit(first(params)).tx.hash;
    case 'broadcast_tx_commit':
      return waitAndView(node, node.chain.submit(first(params)), 'EXECUTED_OPTIMISTIC', false);
    default:
      throw methodNotFound(method);
  }
}

function nodeHead(node: NodeView): EmulatedBlock {
  const chain = node.chain;
  return chain.blockAt(Math.max(1, chain.head.height - node.lagBlocks))!;
}

/** `{finality}`, `{block_id}` (height or hash), `[block_id]`, `[null]` / `{}` (the head). */
function resolveBlock(node: NodeView, params: Params, finalityDefaultsToHead: boolean): EmulatedBlock {
  const head = nodeHead(node);
  const chain = node.chain;
  let reference: unknown;
  if (Array.isArray(params)) reference = params[0] ?? null;
  else if (params !== undefined && params !== null && typeof params === 'object') {
    if ('finality' in params) {
      const finality = params.finality;
      if (finality === 'optimistic') return head;
      if (finality === 'final' || finality === 'near-final')
        return chain.blockAt(Math.max(1, head.height - (finality === 'final' ? chain.finalityLag : 1)))!;
      throw requestError(
        'PARSE_ERROR',
        { error_message: `unknown finality ${String(finality)}` },
        'unknown finality',
      );
    }
    if ('sync_checkpoint' in params) return chain.blocks[0]!;
    reference = 'block_id' in params ? params.block_id : finalityDefaultsToHead ? null : undefined;
  }
  if (reference === null) return head;
  let block: EmulatedBlock | undefined;
  if (typeof reference === 'number') block = chain.blockAt(reference);
  else if (typeof reference === 'string') block = chain.byHash.get(reference);
  else
    throw requestError(
      'PARSE_ERROR',
      { error_message: 'expected block_id or finality' },
      'missing block reference',
    );
  if (block === undefined || block.height > head.height) throw unknownBlock(reference);
  return block;
}

function resolveChunkBlock(node: NodeView, params: Params): EmulatedBlock {
  const object = Array.isArray(params) ? { chunk_id: params[0] } : asObject(params);
  if (typeof object.chunk_id === 'string') {
    const block = node.chain.blocks.find((candidate) => candidate.chunkHash === object.chunk_id);
    if (block === undefined || block.height > nodeHead(node).height)
      throw handlerError(
        'UNKNOWN_CHUNK',
        { chunk_hash: object.chunk_id },
        `Chunk Missing: ${object.chunk_id}`,
      );
    return block;
  }
  return resolveBlock(node, { block_id: object.block_id }, false);
}

function query(node: NodeView, params: Record<string, unknown>): unknown {
  const block = resolveBlock(node, params, false);
  const at = { block_height: block.height, block_hash: block.hash };
  const state = node.chain.state;
  const accountId = String(params.account_id ?? '');
  const account = state.accounts.get(accountId);
  if (account === undefined)
    throw handlerError(
      'UNKNOWN_ACCOUNT',
      { requested_account_id: accountId, ...at },
      `account ${accountId} does not exist while viewing`,
    );
  switch (params.request_type) {
    case 'view_account':
      return {
        amount: account.amount.toString(),
        locked: '0',
        code_hash: state.tokens.has(accountId)
          ? 'E8jZ1giWcVrps8PcV75ATauu6gFRkcwjNtKp7NKmipZG'
          : '11111111111111111111111111111111',
        storage_usage: 182 + account.keys.size * 100,
        storage_paid_at: 0,
        ...at,
      };
    case 'view_access_key': {
      const publicKey = String(params.public_key ?? '');
      const key = account.keys.get(publicKey);
      if (key === undefined)
        throw handlerError(
          'UNKNOWN_ACCESS_KEY',
          { public_key: publicKey, ...at },
          `access key ${publicKey} does not exist while viewing`,
        );
      const permission =
        key.permission === 'FullAccess'
          ? 'FullAccess'
          : {
              FunctionCall: {
                allowance: null,
                receiver_id: key.permission.receiverId,
                method_names: key.permission.methodNames,
              },
            };
      return { nonce: Number(key.nonce), permission, ...at };
    }
    case 'view_access_key_list':
      return {
        keys: [...account.keys].map(([publicKey, key]) => ({
          public_key: publicKey,
          access_key: {
            nonce: Number(key.nonce),
            permission: key.permission === 'FullAccess' ? 'FullAccess' : { FunctionCall: key.permission },
          },
        })),
        ...at,
      };
    case 'call_function':
      return callFunction(node, accountId, params, at);
    default:
      throw requestError(
        'PARSE_ERROR',
        { error_message: `unknown request_type ${String(params.request_type)}` },
        'unknown request_type',
      );
  }
}

function callFunction(
  node: NodeView,
  accountId: string,
  params: Record<string, unknown>,
  at: Record<string, unknown>,
): unknown {
  const token = node.chain.state.tokens.get(accountId);
  if (token === undefined)
    throw handlerError(
      'NO_CONTRACT_CODE',
      { contract_account_id: accountId, ...at },
      `Contract code for contract ID ${accountId} has never been observed on the node`,
    );
  let args: Record<string, unknown>;
  try {
    args = JSON.parse(Buffer.from(String(params.args_base64 ?? ''), 'base64').toString('utf8') || '{}');
  } catch {
    args = {};
  }
  try {
    const value = callTokenView(token, String(params.method_name ?? ''), args);
    return { result: [...Buffer.from(JSON.stringify(value))], logs: [], ...at };
  } catch (err) {
    if (!(err instanceof ContractPanic)) throw err;
    throw handlerError(
      'CONTRACT_EXECUTION_ERROR',
      { vm_error: `wasm execution failed with error: ${err.message}`, ...at },
      err.message,
    );
  }
}

function txStatus(node: NodeView, params: Params, withReceipts: boolean): Promise<unknown> {
  let hash: unknown;
  let wait: unknown;
  if (Array.isArray(params)) hash = params[0];
  else {
    const object = asObject(params);
    if (typeof object.signed_tx_base64 === 'string')
      return waitAndView(
        node,
        node.chain.submit(object.signed_tx_base64),
        waitLevel(object.wait_until),
        withReceipts,
      );
    hash = object.tx_hash;
    wait = object.wait_until;
  }
  const record = typeof hash === 'string' ? node.chain.transactions.get(hash) : undefined;
  if (record === undefined) throw unknownTransaction(String(hash));
  return waitAndView(node, record, waitLevel(wait), withReceipts);
}

/** Answers once the transaction reaches `wanted`, or TIMEOUT_ERROR after the node's tx timeout. */
function waitAndView(
  node: NodeView,
  record: TxRecord,
  wanted: WaitLevel,
  withReceipts: boolean,
): Promise<unknown> {
  const chain = node.chain;
  const view = () => outcomeView(chain, record, chain.level(record), withReceipts);
  if (chain.reached(record, wanted)) return Promise.resolve(view());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(timeoutError());
    }, node.txTimeoutMs);
    const stop = chain.onBlock(() => {
      if (!chain.reached(record, wanted)) return;
      clearTimeout(timer);
      stop();
      resolve(view());
    });
  });
}

function waitLevel(value: unknown): WaitLevel {
  if (value === undefined || value === null) return 'EXECUTED_OPTIMISTIC';
  if (typeof value === 'string' && (WAIT_LEVELS as readonly string[]).includes(value))
    return value as WaitLevel;
  throw requestError(
    'PARSE_ERROR',
    { error_message: `unknown wait_until ${String(value)}` },
    'unknown wait_until',
  );
}

function asObject(params: Params): Record<string, unknown> {
  if (params !== undefined && params !== null && typeof params === 'object' && !Array.isArray(params))
    return params;
  throw requestError(
    'PARSE_ERROR',
    { error_message: 'expected named parameters' },
    'expected an object of parameters',
  );
}

function first(params: Params): unknown {
  return Array.isArray(params) ? params[0] : undefined;
}

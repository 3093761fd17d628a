/**
 * Reading a node's JSON-RPC error answers. Nodes disagree on wording (geth, erigon, anvil,
 * nethermind, besu), so these match the phrases in use rather than one client's text.
 */
import { decodeErrorResult, type Hex } from 'viem';
import { RpcAnswerError } from '../../../rpc/rpc-answer-error.js';
import { batchTransferAbi } from './abi.js';

const ALREADY_KNOWN = /already known|known transaction|already imported|transaction already exists/i;
const NONCE_TOO_LOW = /nonce too low|nonce has already been used|invalid nonce|oldnonce/i;
// anvil says "EVM error OutOfGas", geth "out of gas".
const REVERTED = /revert|always failing transaction|invalid opcode|out ?of ?gas|gas required exceeds/i;
/** JSON-RPC code geth and anvil give an `execution reverted` answer. */
const REVERT_CODE = 3;

export function isAlreadyKnown(err: RpcAnswerError): boolean {
  return ALREADY_KNOWN.test(err.message);
}

export function isNonceTooLow(err: RpcAnswerError): boolean {
  return NONCE_TOO_LOW.test(err.message);
}

/** Whether a node's answer to eth_estimateGas / eth_call says the call itself would fail. */
export function isRevert(err: unknown): err is RpcAnswerError {
  return err instanceof RpcAnswerError && (err.rpcCode === REVERT_CODE || REVERTED.test(err.message));
}

/** The node's message, plus the decoded revert data when the node sent data it did not spell out. */
export function revertReason(err: RpcAnswerError): string {
  const decoded = decodeRevertData(err.data);
  return decoded === undefined || err.message.includes(decoded) ? err.message : `${err.message} (${decoded})`;
}

function decodeRevertData(data: unknown): string | undefined {
  // Some nodes nest the bytes: { data: "0x…" } or { originalError: { data } }.
  const hex = typeof data === 'string' ? data : findHex(data);
  if (hex === undefined || !/^0x[0-9a-fA-F]{8,}$/.test(hex)) return undefined;
  try {
    const { errorName, args } = decodeErrorResult({ abi: batchTransferAbi, data: hex as Hex });
    return args === undefined || args.length === 0
      ? errorName
      : `${errorName}(${args.map(String).join(', ')})`;
  } catch {
    return undefined;
  }
}

function findHex(data: unknown): string | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const record = data as Record<string, unknown>;
  if (typeof record.data === 'string') return record.data;
  return findHex(record.originalError);
}

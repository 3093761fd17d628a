/** The table of method rules; one file per method with special behaviour. */

import type { RpcRequest } from '../types.js';
import { ethSendRawTransaction } from './eth-send-raw-transaction.js';
import { DEFAULT_RULE, type MethodRule } from './method-rule.js';

function hexToNumber(value: unknown): number | undefined {
  if (typeof value !== 'string' || !value.startsWith('0x')) return undefined;
  const parsed = Number.parseInt(value, 16);
  return Number.isSafeInteger(parsed) ? parsed : undefined;
}

const subscriptionOverHttp: MethodRule = {
  hedge: false,
  unsupported: 'subscriptions need a WebSocket connection',
};

/** `eth_getBlockByNumber("latest")` names the head; any other block number says nothing about it. */
function latestBlockNumber(result: unknown, request: RpcRequest): number | undefined {
  const params = request.params;
  if (!Array.isArray(params) || params[0] !== 'latest') return undefined;
  if (result === null || typeof result !== 'object') return undefined;
  return hexToNumber((result as { number?: unknown }).number);
}

const RULES = new Map<string, MethodRule>([
  ['eth_sendRawTransaction', ethSendRawTransaction],
  // The node picks the nonce, so a retry after a timeout could send a second transaction.
  ['eth_sendTransaction', { hedge: false, retry: false }],
  ['eth_blockNumber', { hedge: true, reportsHead: hexToNumber }],
  ['eth_getBlockByNumber', { hedge: true, reportsHead: latestBlockNumber }],
  ['eth_subscribe', subscriptionOverHttp],
  ['eth_unsubscribe', subscriptionOverHttp],
]);

export function ruleFor(method: string): MethodRule {
  return RULES.get(method) ?? DEFAULT_RULE;
}

/**
 * The `logs` subscription filter, read and matched as geth does: `address` is one address or a
 * list (any of them; empty or absent means any), `topics` is positional — `null` (or an empty
 * list) matches anything at that position, a list matches any of its members — and a filter
 * with more positions than a log has topics does not match it. Matching is in-process, once
 * per log per subscriber, on lowercase strings.
 */
import { GatewayError } from '../../errors/gateway-error.js';

/** A log as `eth_getLogs` answers it (only the members the filter reads are typed). */
export interface RpcLog {
  readonly address: string;
  readonly topics: readonly string[];
  readonly [member: string]: unknown;
}

export interface LogFilter {
  /** Lowercase addresses; undefined matches any. */
  readonly addresses: ReadonlySet<string> | undefined;
  /** Per position: undefined matches anything, else the lowercase topics allowed there. */
  readonly topics: readonly (ReadonlySet<string> | undefined)[];
}

export const MATCH_ALL: LogFilter = { addresses: undefined, topics: [] };

/** At most this many addresses or topics per position (geth has no limit; a bound keeps it cheap). */
export const MAX_FILTER_VALUES = 1000;
/** Topic positions a log can have (LOG0 … LOG4). */
const MAX_POSITIONS = 4;

function invalid(message: string): GatewayError {
  return new GatewayError('ERR_REALTIME_INVALID_SUBSCRIPTION', `logs filter: ${message}`);
}

function isHex(value: string, bytes: number): boolean {
  if (value.length !== 2 + bytes * 2 || value[0] !== '0' || (value[1] !== 'x' && value[1] !== 'X'))
    return false;
  for (let i = 2; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const digit = (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
    if (!digit) return false;
  }
  return true;
}

function readList(value: unknown, bytes: number, what: string): ReadonlySet<string> | undefined {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) throw invalid(`${what} must be a hex string, a list of them, or null`);
  if (list.length > MAX_FILTER_VALUES) throw invalid(`${what} lists more than ${MAX_FILTER_VALUES} values`);
  if (list.length === 0) return undefined;
  const set = new Set<string>();
  for (const item of list) {
    if (typeof item !== 'string' || !isHex(item, bytes))
      throw invalid(`${what} has ${JSON.stringify(item)}, not a ${bytes}-byte hex value`);
    set.add(item.toLowerCase());
  }
  return set;
}

/**
 * Reads the second `eth_subscribe("logs", …)` parameter. Absent or null is "every log". Block
 * ranges (`fromBlock`, `toBlock`, `blockHash`) are refused: a subscription follows the head.
 */
export function parseLogFilter(params: unknown): LogFilter {
  if (params === undefined || params === null) return MATCH_ALL;
  if (typeof params !== 'object' || Array.isArray(params)) throw invalid('must be an object');
  const { address, topics, ...rest } = params as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0)
    throw invalid(`unsupported member ${JSON.stringify(extra[0])} (only address and topics)`);
  const addresses = address === undefined || address === null ? undefined : readList(address, 20, 'address');
  if (topics === undefined || topics === null) return { addresses, topics: [] };
  if (!Array.isArray(topics)) throw invalid('topics must be a list');
  if (topics.length > MAX_POSITIONS) throw invalid(`topics has more than ${MAX_POSITIONS} positions`);
  const positions = topics.map((topic, i) =>
    topic === null ? undefined : readList(topic, 32, `topics[${i}]`),
  );
  return { addresses, topics: positions };
}

/** A log's address and topics, lowercased once per log (not once per subscriber). */
export interface LogKey {
  readonly address: string;
  readonly topics: readonly string[];
}

export function logKey(log: RpcLog): LogKey {
  return { address: log.address.toLowerCase(), topics: log.topics.map((topic) => topic.toLowerCase()) };
}

export function matchesKey(filter: LogFilter, key: LogKey): boolean {
  if (filter.addresses !== undefined && !filter.addresses.has(key.address)) return false;
  const positions = filter.topics;
  if (positions.length > key.topics.length) return false;
  for (let i = 0; i < positions.length; i++) {
    const allowed = positions[i];
    if (allowed !== undefined && !allowed.has(key.topics[i]!)) return false;
  }
  return true;
}

export function matchesLog(filter: LogFilter, log: RpcLog): boolean {
  return matchesKey(filter, logKey(log));
}

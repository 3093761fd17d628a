/** Parses a request body into JSON-RPC items, exactly as section 4–6 of the JSON-RPC 2.0 spec demand. */
import { GatewayError } from '../errors/gateway-error.js';
import { isLossyId, rawIdText } from './raw-id.js';
import { splitTopLevelArray } from './split-batch.js';
import type { ParsedBody, RpcId, RpcItem } from './types.js';

export interface ParseOptions {
  maxBatchSize: number;
}

function firstNonSpace(body: Buffer): number {
  let i = 0;
  while (i < body.length) {
    const byte = body[i]!;
    if (
      byte !== 0x20 &&
      byte !== 0x0a &&
      byte !== 0x0d &&
      byte !== 0x09 &&
      byte !== 0xef &&
      byte !== 0xbb &&
      byte !== 0xbf
    )
      break;
    i++;
  }
  return i;
}

/** Throws ERR_PARSE (invalid JSON), ERR_INVALID_REQUEST (empty batch) or ERR_BATCH_TOO_LARGE. */
export function parseBody(body: Buffer, options: ParseOptions): ParsedBody {
  const start = firstNonSpace(body);
  if (body[start] === 0x5b) return parseBatch(body, start, options);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError('ERR_PARSE', 'Parse error');
  }
  return { kind: 'single', item: toItem(value, body) };
}

function parseBatch(body: Buffer, start: number, options: ParseOptions): ParsedBody {
  let values: unknown;
  try {
    values = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError('ERR_PARSE', 'Parse error');
  }
  if (!Array.isArray(values)) throw new GatewayError('ERR_PARSE', 'Parse error');
  if (values.length === 0) throw new GatewayError('ERR_INVALID_REQUEST', 'Invalid Request: empty batch');
  if (values.length > options.maxBatchSize) {
    throw new GatewayError(
      'ERR_BATCH_TOO_LARGE',
      `Invalid Request: batch of ${values.length} exceeds the limit of ${options.maxBatchSize}`,
      { data: { limit: options.maxBatchSize } },
    );
  }
  const raws = splitTopLevelArray(body, start);
  const items: RpcItem[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    // The splitter and JSON.parse agree on any valid array; fall back to re-encoding if not.
    const raw =
      raws !== null && raws.length === values.length ? raws[i]! : Buffer.from(JSON.stringify(values[i]));
    items[i] = toItem(values[i], raw);
  }
  return { kind: 'batch', items };
}

function isValidId(id: unknown): id is RpcId {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

function invalid(id: RpcId, reason: string): RpcItem {
  return { ok: false, id, error: new GatewayError('ERR_INVALID_REQUEST', `Invalid Request: ${reason}`) };
}

export function toItem(value: unknown, raw: Buffer): RpcItem {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return invalid(null, 'expected an object');
  }
  const object = value as Record<string, unknown>;
  const hasId = 'id' in object;
  const id = hasId && isValidId(object.id) ? object.id : null;
  if (hasId && !isValidId(object.id)) return invalid(null, 'id must be a string, number or null');
  if (object.jsonrpc !== '2.0') return invalid(id, 'jsonrpc must be "2.0"');
  if (typeof object.method !== 'string' || object.method.length === 0) {
    return invalid(id, 'method must be a non-empty string');
  }
  const params = object.params;
  if (params !== undefined && (params === null || typeof params !== 'object')) {
    return invalid(id, 'params must be an array or an object');
  }
  const rawId = isLossyId(id) ? rawIdText(raw) : undefined;
  return {
    ok: true,
    request: {
      id: hasId ? id : undefined,
      method: object.method,
      params: params ?? [],
      raw,
      ...(rawId !== undefined && { rawId }),
    },
  };
}

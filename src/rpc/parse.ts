/** Parses a request body into JSON-RPC items, exactly as section 4–6 of the JSON-RPC 2.0 spec demand. */
import { GatewayError } from '../errors/gateway-error.js';
import { type ItemScan, MAX_REQUEST_DEPTH, scanItem } from './item-scan.js';
import { BACKSLASH } from './json-bytes.js';
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

/**
 * Throws ERR_PARSE (invalid JSON), ERR_REQUEST_TOO_DEEP, ERR_INVALID_REQUEST (empty batch) or
 * ERR_BATCH_TOO_LARGE.
 */
export function parseBody(body: Buffer, options: ParseOptions): ParsedBody {
  const start = firstNonSpace(body);
  if (body[start] === 0x5b) return parseBatch(body, start, options);
  // Depth is checked before JSON.parse, which takes 250 ms over a megabyte of brackets.
  const scan = scanItem(body);
  if (scan.depth > MAX_REQUEST_DEPTH) throw tooDeep();
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError('ERR_PARSE', 'Parse error');
  }
  return { kind: 'single', item: toItem(value, body, scan) };
}

function tooDeep(): GatewayError {
  return new GatewayError(
    'ERR_REQUEST_TOO_DEEP',
    `Invalid Request: objects and arrays nested deeper than ${MAX_REQUEST_DEPTH} levels`,
    { data: { limit: MAX_REQUEST_DEPTH } },
  );
}

function parseBatch(body: Buffer, start: number, options: ParseOptions): ParsedBody {
  // Any valid array splits (JSON.parse would refuse what does not), and its items are scanned
  // for depth before JSON.parse: one item too deep refuses the whole body.
  const raws = splitTopLevelArray(body, start);
  if (raws === null) throw new GatewayError('ERR_PARSE', 'Parse error');
  const scans: ItemScan[] = new Array(raws.length);
  for (let i = 0; i < raws.length; i++) {
    const scan = scanItem(raws[i]!);
    if (scan.depth > MAX_REQUEST_DEPTH) throw tooDeep();
    scans[i] = scan;
  }
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
  if (raws.length !== values.length) throw new GatewayError('ERR_PARSE', 'Parse error');
  const items: RpcItem[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) items[i] = toItem(values[i], raws[i]!, scans[i]!);
  return { kind: 'batch', items };
}

/** Any number: JSON.parse turns a number too large for a double (1e400) into ±Infinity, never NaN. */
function isValidId(id: unknown): id is RpcId {
  return id === null || typeof id === 'string' || typeof id === 'number';
}

function invalid(id: RpcId, reason: string, rawId?: string): RpcItem {
  const error = new GatewayError('ERR_INVALID_REQUEST', `Invalid Request: ${reason}`);
  return rawId === undefined ? { ok: false, id, error } : { ok: false, id, error, rawId };
}

/** `scan` is scanItem(raw), done before JSON.parse. */
export function toItem(value: unknown, raw: Buffer, scan: ItemScan = scanItem(raw)): RpcItem {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return invalid(null, 'expected an object');
  }
  const object = value as Record<string, unknown>;
  // A repeated member: JSON.parse kept the last, a node upstream may read the first. Which id
  // the client meant is unknown too, so the answer carries null.
  if (scan.members !== Object.keys(object).length) return invalid(null, 'a member appears more than once');
  const hasId = 'id' in object;
  const id = hasId && isValidId(object.id) ? object.id : null;
  if (hasId && !isValidId(object.id)) return invalid(null, 'id must be a string, number or null');
  const rawId = id === null ? undefined : rawIdOf(id, raw, scan);
  // ±Infinity is answered as its text (1e400 as sent); without that text it would read `null`.
  if (rawId === undefined && typeof id === 'number' && !Number.isFinite(id))
    return invalid(null, 'id must be a string, number or null');
  if (object.jsonrpc !== '2.0') return invalid(id, 'jsonrpc must be "2.0"', rawId);
  if (typeof object.method !== 'string' || object.method.length === 0) {
    return invalid(id, 'method must be a non-empty string', rawId);
  }
  const params = object.params;
  if (params !== undefined && (params === null || typeof params !== 'object')) {
    return invalid(id, 'params must be an array or an object', rawId);
  }
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

/**
 * The id's text as sent when JSON.stringify of the parsed id would write it otherwise (`1e2`,
 * `-0`, `1.50`, 2^64, `1e400`, a string with escapes); undefined when it would write the same bytes.
 */
function rawIdOf(id: string | number, raw: Buffer, scan: ItemScan): string | undefined {
  const { idStart: start, idEnd: end } = scan;
  if (start === -1 || end === -1) return undefined;
  if (typeof id === 'number') {
    if (Number.isSafeInteger(id) && isCanonicalInteger(raw, start, end)) return undefined;
    return raw.toString('latin1', start, end);
  }
  for (let i = start; i < end; i++) if (raw[i] === BACKSLASH) return raw.toString('utf8', start, end);
  return undefined;
}

/** An integer written as JavaScript writes it: no fraction, exponent, leading zero or `-0`. */
function isCanonicalInteger(raw: Buffer, start: number, end: number): boolean {
  const digits = raw[start] === 0x2d ? start + 1 : start;
  if (digits === end || (raw[digits] === 0x30 && (end - digits > 1 || digits > start))) return false;
  for (let i = digits; i < end; i++) if (raw[i]! < 0x30 || raw[i]! > 0x39) return false;
  return true;
}

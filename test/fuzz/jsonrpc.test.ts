/**
 * Properties of the JSON-RPC body parser and the byte scanners beside it (batch splitter, raw
 * id, request shape): any input gives an answer or a spec error, never an exception, and on
 * valid JSON they agree with JSON.parse.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { parseBody } from '../../src/rpc/parse.js';
import { idValueRange, rawIdText, spliceRawId } from '../../src/rpc/raw-id.js';
import { MAX_SHAPE_BYTES, requestShape } from '../../src/rpc/request-shape.js';
import { splitTopLevelArray } from '../../src/rpc/split-batch.js';
import type { ParsedBody, RpcItem } from '../../src/rpc/types.js';
import { checkProperty, FUZZ_TIMEOUT, reportCases } from './fuzz-settings.js';
import { batchText, idText, rpcObjectText, valueText } from './json-text.js';

const OPTIONS = { maxBatchSize: 5 };
const utf8 = (text: string) => Buffer.from(text, 'utf8');
const trimJsonSpace = (text: string) => text.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');

/** JSON-RPC error codes: the spec's, and its range for implementation-defined server errors. */
function isSpecCode(code: number): boolean {
  return code === -32700 || (code >= -32603 && code <= -32600) || (code >= -32099 && code <= -32000);
}

function expectSpecError(err: unknown): asserts err is GatewayError {
  if (!(err instanceof GatewayError)) throw err;
  expect(err.code).not.toBe('ERR_INTERNAL');
  expect(isSpecCode(err.rpcCode), `${err.code} has JSON-RPC code ${err.rpcCode}`).toBe(true);
}

/** parseBody's answer, or the spec error it threw; anything else fails the property. */
function parse(body: Buffer): ParsedBody | GatewayError {
  try {
    return parseBody(body, OPTIONS);
  } catch (err) {
    expectSpecError(err);
    return err;
  }
}

function checkItem(item: RpcItem): void {
  if (item.ok) {
    expect(typeof item.request.method).toBe('string');
    expect(item.request.method.length).toBeGreaterThan(0);
    expect(Buffer.isBuffer(item.request.raw)).toBe(true);
  } else {
    expectSpecError(item.error);
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs for the never-throws properties

/** Valid JSON with one random edit: a byte dropped, duplicated, replaced or inserted. */
const mutatedJson = fc
  .tuple(
    fc.oneof(
      rpcObjectText.map((r) => r.text),
      batchText.map((b) => b.text),
      valueText,
    ),
    fc.nat(),
    fc.constantFrom('drop', 'repeat', 'replace', 'insert'),
    fc.constantFrom(...'[]{}",:\\ 0e-.\u0000\u00ff'),
  )
  .map(([text, at, edit, char]) => {
    const i = text.length === 0 ? 0 : at % text.length;
    const head = text.slice(0, i);
    const tail = text.slice(i);
    if (edit === 'drop') return head + tail.slice(1);
    if (edit === 'repeat') return head + tail.slice(0, 1) + tail;
    if (edit === 'replace') return head + char + tail.slice(1);
    return head + char + tail;
  });

/** Deep nesting, open or closed, of arrays or objects. */
const deepNesting = fc
  .tuple(fc.integer({ min: 1, max: 5_000 }), fc.constantFrom('[', '{"a":', '[{"id":1,"p":'), fc.boolean())
  .map(([depth, open, closed]) => {
    const close = open === '[' ? ']' : '}';
    const extra = open === '[{"id":1,"p":' ? ']' : '';
    return open.repeat(depth) + (closed ? `1${(close + extra).repeat(depth)}` : '');
  });

const anyBody = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'binary', maxLength: 100 }).map(utf8),
  rpcObjectText.map((r) => utf8(r.text)),
  batchText.map((b) => utf8(b.text)),
  mutatedJson.map(utf8),
  fc
    .constantFrom(...['\ufeff{}', '[]', ' ', '', '[,]', '[1,]', '[{}', '{"id":}', '\u00ef\u00bb\u00bf[1]'])
    .map(utf8),
  deepNesting.map(utf8),
);

// ---------------------------------------------------------------------------------------------

afterAll(() => reportCases('jsonrpc'));

describe('JSON-RPC parsing (property)', () => {
  it(
    'any bytes give requests, invalid items or a spec error; the scanners never throw',
    async () => {
      await checkProperty(
        'rpc any bytes',
        fc.property(anyBody, (body) => {
          const parsed = parse(body);
          if (!(parsed instanceof GatewayError)) {
            if (parsed.kind === 'single') checkItem(parsed.item);
            else {
              expect(parsed.items.length).toBeGreaterThan(0);
              expect(parsed.items.length).toBeLessThanOrEqual(OPTIONS.maxBatchSize);
              parsed.items.forEach(checkItem);
            }
          }
          splitTopLevelArray(body, 0);
          const range = idValueRange(body);
          if (range !== undefined) {
            expect(range.start).toBeLessThan(range.end);
            expect(range.end).toBeLessThanOrEqual(body.length);
          }
          rawIdText(body);
          const shape = requestShape(body);
          if (shape !== undefined) {
            // The key is the body with the id's bytes replaced by one NUL (invalid JSON may hold more).
            const cut = `${body.toString('latin1', 0, shape.idStart)}\u0000${body.toString('latin1', shape.idEnd)}`;
            expect(shape.key).toBe(cut);
            expect(shape.idText).toBe(body.toString('latin1', shape.idStart, shape.idEnd));
          }
        }),
        3,
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'on valid JSON, parseBody agrees with JSON.parse on kind, count, method, id and params',
    async () => {
      await checkProperty(
        'rpc agrees with JSON.parse',
        fc.property(
          fc.oneof(
            rpcObjectText.map((r) => r.text),
            batchText.map((b) => b.text),
            valueText,
          ),
          (text) => {
            const value: unknown = JSON.parse(text);
            const parsed = parse(utf8(text));
            if (Array.isArray(value)) {
              if (value.length === 0 || value.length > OPTIONS.maxBatchSize) {
                expect(parsed).toBeInstanceOf(GatewayError);
                expect((parsed as GatewayError).code).toBe(
                  value.length === 0 ? 'ERR_INVALID_REQUEST' : 'ERR_BATCH_TOO_LARGE',
                );
                return;
              }
              expect(parsed).toMatchObject({ kind: 'batch' });
              const items = (parsed as Extract<ParsedBody, { kind: 'batch' }>).items;
              expect(items.length).toBe(value.length);
              value.forEach((v, i) => {
                expectItemFor(v, items[i]!);
              });
            } else {
              expect(parsed).toMatchObject({ kind: 'single' });
              expectItemFor(value, (parsed as Extract<ParsedBody, { kind: 'single' }>).item);
            }
          },
        ),
        3,
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'a batch splits into the exact source text of each item',
    async () => {
      await checkProperty(
        'rpc batch split',
        fc.property(batchText, ({ text, items }) => {
          const body = utf8(text);
          const start = body.indexOf('[');
          const raws = splitTopLevelArray(body, start);
          expect(raws?.map((raw) => raw.toString('utf8'))).toEqual(items.map(trimJsonSpace));
        }),
        2,
      );
    },
    FUZZ_TIMEOUT,
  );
});

/** The item parseBody must give for `value` (one request object, or not), checked field by field. */
function expectItemFor(value: unknown, item: RpcItem): void {
  checkItem(item);
  const object = value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  const fields = object as Record<string, unknown> | undefined;
  const hasId = fields !== undefined && Object.hasOwn(fields, 'id');
  const id = fields?.id;
  // Any number: one too large for a double (1e400) parses to ±Infinity and is echoed as written.
  const validId = !hasId || id === null || typeof id === 'string' || typeof id === 'number';
  const valid =
    fields !== undefined &&
    validId &&
    fields.jsonrpc === '2.0' &&
    typeof fields.method === 'string' &&
    fields.method !== '' &&
    (fields.params === undefined || (fields.params !== null && typeof fields.params === 'object'));
  expect(item.ok).toBe(valid);
  if (item.ok) {
    expect(item.request.method).toBe(fields!.method);
    expect(Object.is(item.request.id, hasId ? id : undefined)).toBe(true);
    expect(item.request.params).toEqual(fields!.params ?? []);
    expect(JSON.parse(item.request.raw.toString('utf8'))).toEqual(value);
  } else if (hasId && validId && fields !== undefined) {
    expect(Object.is(item.id, id)).toBe(true);
  } else {
    expect(item.id).toBeNull();
  }
}

/** The id text the answer to a single body carries (rawId, else JSON of the id); undefined if none. */
function echoedId(body: Buffer): string | undefined {
  const parsed = parse(body);
  if (parsed instanceof GatewayError || parsed.kind !== 'single') return undefined;
  const { item } = parsed;
  const [id, rawId] = item.ok ? [item.request.id, item.request.rawId] : [item.id, item.rawId];
  return rawId ?? (id === undefined || id === null ? undefined : JSON.stringify(id));
}

/** Whether the answer to the object `text` carries its id `id`: a string or a number (keys never repeat). */
function answersWithId(text: string, id: string): boolean {
  const value = JSON.parse(text) as unknown;
  const parsedId = JSON.parse(id) as unknown;
  const object = value !== null && typeof value === 'object' && !Array.isArray(value);
  return object && (typeof parsedId === 'string' || typeof parsedId === 'number');
}

/** Requests whose id key, if any, is written `"id"`. */
const plainIdKey = rpcObjectText.filter((r) => r.idKey === '"id"');

describe('raw id and request shape (property)', () => {
  it(
    'rawIdText returns the exact source text of a scalar top-level id',
    async () => {
      await checkProperty(
        'raw id text',
        fc.property(plainIdKey, ({ text, idText: id }) => {
          const body = utf8(text);
          const scalar = id !== undefined && !id.startsWith('[') && !id.startsWith('{');
          expect(rawIdText(body)).toBe(scalar ? id : undefined);
          // The answer carries the id byte for byte (2^64, 1e400, -0, escapes and all).
          if (scalar && answersWithId(text, id)) expect(echoedId(body)).toBe(id);
        }),
        3,
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'rawIdText finds an id whose key is written with escapes (JSON.parse reads it as "id")',
    async () => {
      // Found here: the scanners compared the key's bytes with "id", so
      // {"\u0069d":18446744073709551616} had no raw id and its id was echoed rounded.
      await checkProperty(
        'raw id text, escaped key',
        fc.property(
          rpcObjectText.filter(
            (r) => r.idKey !== '"id"' && r.idText !== undefined && !/^[[{]/.test(r.idText),
          ),
          ({ text, idText: id }) => {
            expect(rawIdText(utf8(text))).toBe(id);
            if (answersWithId(text, id!)) expect(echoedId(utf8(text))).toBe(id);
          },
        ),
        0.5,
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'spliceRawId replaces only the id',
    async () => {
      await checkProperty(
        'raw id splice',
        fc.property(
          plainIdKey.filter((r) => r.idText !== undefined && !/^[[{]/.test(r.idText)),
          idText.filter((t) => !/^[[{]/.test(t)),
          ({ text }, replacement) => {
            const before = JSON.parse(text) as Record<string, unknown>;
            const after = JSON.parse(String(spliceRawId(text, replacement))) as Record<string, unknown>;
            expect(after).toEqual({ ...before, id: JSON.parse(replacement) });
          },
        ),
        1,
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'a request shape agrees with JSON.parse on the id, and bodies of one shape differ only in it',
    async () => {
      /** Ids a shape accepts: null, printable ASCII strings without escapes, canonical integers. */
      const shapeId = fc.oneof(
        fc.constant('null'),
        fc.stringMatching(/^[\x20\x21\x23-\x5b\x5d-\x7e]{0,12}$/).map((s) => `"${s}"`),
        fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
      );
      await checkProperty(
        'request shape',
        fc.property(rpcObjectText, shapeId, ({ text, idText: id, idKey }, other) => {
          const body = utf8(text);
          const shape = requestShape(body);
          const canonical =
            id !== undefined && /^(null|"[\x20\x21\x23-\x5b\x5d-\x7e]*"|-?[1-9]\d*|0)$/.test(id);
          // A shape is an optimization (no shape: the slow path). It is promised for requests as
          // clients write them, keys among jsonrpc, id, method and params; another key of the
          // same length and first letter as one of those ("m     ") may take the slow path.
          const plainKeys = idKey === '"id"' && topLevelKeys(text).every((key) => REQUEST_KEYS.has(key));
          if (canonical && plainKeys && body.length <= MAX_SHAPE_BYTES) expect(shape).toBeDefined();
          if (shape === undefined) return;
          const value = JSON.parse(text) as Record<string, unknown>;
          expect(shape.idText).toBe(id);
          expect(JSON.parse(shape.idText)).toEqual(value.id);
          // The same body with another id: the same key, and JSON.parse sees only the id change.
          const otherBody = Buffer.concat([
            body.subarray(0, shape.idStart),
            utf8(other),
            body.subarray(shape.idEnd),
          ]);
          const otherText = otherBody.toString('utf8');
          expect(requestShape(otherBody)?.key).toBe(shape.key);
          expect(JSON.parse(otherText)).toEqual({ ...value, id: JSON.parse(other) });
        }),
        3,
      );
    },
    FUZZ_TIMEOUT,
  );
});

const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);

/** The top-level keys of an object's JSON text. */
function topLevelKeys(text: string): string[] {
  return Object.keys(JSON.parse(text) as Record<string, unknown>);
}

/**
 * Generators of JSON text (not values): random whitespace, number spellings JSON.stringify never
 * writes (1.0, 1e400, 2^64), strings full of quotes, brackets and `"id":`, and JSON-RPC request
 * objects whose id text is known, so a property can check the exact bytes a scanner returns.
 * Objects never repeat a key.
 */
import fc from 'fast-check';

export const ws = fc.constantFrom('', '', '', ' ', '\n', '\t', '\r\n  ');

/** Strings that trip byte scanners: quotes, escapes, brackets, and text that looks like an id member. */
const TRICKY = [
  '"',
  '\\',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '"id":',
  '\\"id\\":1',
  'id',
  '\u0000',
  '\u2028',
  'é',
  '😀',
];

export const stringText = fc
  .oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(...TRICKY),
    fc.array(fc.constantFrom(...TRICKY), { maxLength: 4 }).map((parts) => parts.join('')),
    fc.string({ unit: 'grapheme', maxLength: 6 }),
  )
  .map((s) => JSON.stringify(s));

/** Number spellings, including ones a JS number cannot hold (lossy) and non-canonical ones. */
export const numberText = fc.oneof(
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.constantFrom(
    '0',
    '-0',
    '1.0',
    '1e400',
    '-1e400',
    '0.1e1',
    '1E+2',
    '-1.5e-7',
    '18446744073709551616',
    '9007199254740993',
    '123456789012345678901234567890',
    '0.30000000000000004',
  ),
);

/** A key that is not `id` (nor `__proto__`, whose spread semantics differ from JSON.parse). */
export const otherKey = fc
  .oneof(
    fc.constantFrom(
      'a',
      'ID',
      'Id',
      'id ',
      ' id',
      'ids',
      '"id"',
      'i',
      'd',
      '{',
      '[',
      ':',
      ',',
      '\\',
      'idx',
      'constructor',
    ),
    fc.string({ maxLength: 8 }),
  )
  .filter((key) => key !== 'id' && key !== '__proto__');

const member = (key: fc.Arbitrary<string>, value: fc.Arbitrary<string>) =>
  fc
    .tuple(ws, key, ws, ws, value, ws)
    .map(([a, k, b, c, v, d]) => ({ key: k, text: `${a}${k}${b}:${c}${v}${d}` }));

const joinObject = (members: readonly { text: string }[], inner: string) =>
  members.length === 0 ? `{${inner}}` : `{${members.map((m) => m.text).join(',')}}`;

/** Any JSON value as text, with nested objects that may have their own `id` keys. */
export const valueText: fc.Arbitrary<string> = fc.letrec<{ value: string; array: string; object: string }>(
  (tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      stringText,
      numberText,
      fc.constantFrom('true', 'false', 'null'),
      tie('array'),
      tie('object'),
    ),
    array: fc
      .tuple(fc.array(fc.tuple(ws, tie('value'), ws), { maxLength: 4 }), ws)
      .map(([items, inner]) =>
        items.length === 0 ? `[${inner}]` : `[${items.map((i) => i.join('')).join(',')}]`,
      ),
    object: fc
      .tuple(
        fc.uniqueArray(
          member(
            fc.oneof(otherKey, fc.constant('id')).map((k) => JSON.stringify(k)),
            tie('value'),
          ),
          { maxLength: 4, selector: (m) => JSON.parse(m.key) as string },
        ),
        ws,
      )
      .map(([members, inner]) => joinObject(members, inner)),
  }),
).value;

export const arrayText = fc.array(valueText, { maxLength: 4 }).map((items) => `[${items.join(',')}]`);
export const objectText = fc
  .uniqueArray(
    member(
      otherKey.map((k) => JSON.stringify(k)),
      valueText,
    ),
    {
      maxLength: 4,
      selector: (m) => JSON.parse(m.key) as string,
    },
  )
  .map((members) => joinObject(members, ''));

/** Spellings of a request id: valid ids in every number form, and invalid ones. */
export const idText = fc.oneof(
  { weight: 4, arbitrary: numberText },
  { weight: 3, arbitrary: stringText },
  { weight: 1, arbitrary: fc.constantFrom('null', 'true', 'false', '[]', '{}', '[1]', '{"id":1}') },
);

/** How the `id` key itself is written: mostly plainly, sometimes with escapes JSON.parse undoes. */
const idKeyText = fc.constantFrom('"id"', '"id"', '"id"', '"id"', '"\\u0069d"', '"i\\u0064"');

export interface RpcText {
  /** The whole object's text. */
  readonly text: string;
  /** The id member's value text exactly as written, undefined without an id member. */
  readonly idText: string | undefined;
  /** The id member's key text (`"id"` or an escaped spelling). */
  readonly idKey: string;
}

/** A JSON-RPC-like request object, valid or not, with its members in random order. */
export const rpcObjectText: fc.Arbitrary<RpcText> = fc
  .record({
    jsonrpc: fc.option(fc.constantFrom('"2.0"', '"2.0"', '"2.0"', '"1.0"', '2.0', 'null'), {
      nil: undefined,
    }),
    method: fc.option(
      fc.oneof(
        {
          weight: 4,
          arbitrary: fc.constantFrom(
            '"eth_chainId"',
            '"eth_blockNumber"',
            '"eth_getBalance"',
            '"net_version"',
          ),
        },
        { weight: 1, arbitrary: fc.constantFrom('""', '1', 'null', '["eth_chainId"]') },
        { weight: 1, arbitrary: stringText },
      ),
      { freq: 8, nil: undefined },
    ),
    params: fc.option(fc.oneof(arrayText, objectText, fc.constantFrom('null', '1', '"x"', '[]')), {
      nil: undefined,
    }),
    id: fc.option(idText, { freq: 8, nil: undefined }),
    idKey: idKeyText,
    extra: fc.uniqueArray(
      fc.tuple(
        otherKey.filter((k) => k !== 'jsonrpc' && k !== 'method' && k !== 'params'),
        valueText,
      ),
      { maxLength: 2, selector: ([k]) => k },
    ),
    spaces: fc.array(ws, { minLength: 32, maxLength: 32 }),
  })
  .chain((r) => {
    const members: [string, string, boolean][] = [];
    if (r.jsonrpc !== undefined) members.push(['"jsonrpc"', r.jsonrpc, false]);
    if (r.method !== undefined) members.push(['"method"', r.method, false]);
    if (r.params !== undefined) members.push(['"params"', r.params, false]);
    if (r.id !== undefined) members.push([r.idKey, r.id, true]);
    for (const [key, value] of r.extra) members.push([JSON.stringify(key), value, false]);
    return fc.shuffledSubarray(members, { minLength: members.length }).map((ordered): RpcText => {
      let n = 0;
      const space = () => r.spaces[n++ % r.spaces.length]!;
      const parts = ordered.map(([key, value]) => `${space()}${key}${space()}:${space()}${value}${space()}`);
      return {
        text: `${space()}{${parts.length === 0 ? space() : parts.join(',')}}${space()}`,
        idText: r.id,
        idKey: r.idKey,
      };
    });
  });

/** A batch: an array of request objects (and, rarely, other values), with whitespace. */
export const batchText = fc
  .tuple(
    fc.array(
      fc.oneof(
        { weight: 6, arbitrary: rpcObjectText.map((r) => r.text) },
        { weight: 1, arbitrary: valueText },
      ),
      {
        maxLength: 6,
      },
    ),
    ws,
    ws,
  )
  .map(([items, before, after]) => ({ text: `${before}[${items.join(',')}]${after}`, items }));

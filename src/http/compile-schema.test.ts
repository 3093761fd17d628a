import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { transferRules } from '../relayer/api/transfer-fields.js';
import { idempotencyKeyCheck, MAX_AMOUNT } from '../relayer/api/transfer-schemas.js';
import { compileSchema, INVALID } from './compile-schema.js';

const USDC = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const rules = transferRules({ tokens: { USDC }, maxTransfersPerRequest: 3, maxMemoBytes: 8 });

const big = (_key: string, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value);

/** The compiled checker gives zod's value for what zod accepts and INVALID for the rest. */
function sameAsZod(compiled: { schema: z.ZodType; check: (value: unknown) => unknown }, value: unknown) {
  const zod = compiled.schema.safeParse(value);
  const checked = compiled.check(value);
  if (zod.success) expect(JSON.stringify(checked, big)).toBe(JSON.stringify(zod.data, big));
  else expect(checked).toBe(INVALID);
}

const field = fc.oneof(
  fc.constantFrom(
    'USDC',
    'usdc',
    USDC,
    USDC.toLowerCase(),
    ALICE,
    ALICE.toLowerCase(),
    ALICE.replace('C5', 'c5'),
    '0x1234',
    '1',
    '0',
    '007',
    MAX_AMOUNT.toString(),
    (MAX_AMOUNT + 1n).toString(),
    '1.5',
    '',
    'memo',
    'éééé',
    'ééééé',
    'k'.repeat(129),
  ),
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
  fc.string({ maxLength: 6 }),
);
const KEYS = ['token', 'to', 'amount', 'memo', 'receiverId', 'idempotencyKey', 'transfers', 'x', '__proto__'];
const object = fc.dictionary(fc.constantFrom(...KEYS), field, { maxKeys: 5 }).map((entries) => {
  // Built like JSON.parse builds objects: `__proto__` becomes an own key.
  const built: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entries))
    Object.defineProperty(built, key, { value, enumerable: true, configurable: true, writable: true });
  return built;
});
const transfer = fc.record(
  { token: field, to: field, amount: field, memo: field, receiverId: field },
  { requiredKeys: [] },
);
const body = fc.oneof(
  object,
  transfer,
  field,
  fc.record(
    {
      transfers: fc.oneof(fc.array(fc.oneof(transfer, object, field), { maxLength: 5 }), field),
      idempotencyKey: field,
    },
    { requiredKeys: ['transfers'] },
  ),
);

describe('compileSchema', () => {
  it('agrees with zod on every relayer body schema and the Idempotency-Key', () => {
    const compiled = [...Object.values(rules.bodies), idempotencyKeyCheck];
    fc.assert(
      fc.property(body, (value) => {
        for (const one of compiled) sameAsZod(one, value);
      }),
      { numRuns: 3000, seed: 20261207 },
    );
  });

  it('accepts valid bodies with the normalized value', () => {
    const single = rules.bodies.single.check({ token: 'USDC', to: ALICE, amount: '007', memo: 'm' });
    expect(single).toEqual({ token: USDC.toLowerCase(), to: ALICE.toLowerCase(), amount: 7n, memo: 'm' });
    const batch = rules.bodies.batch.check({ transfers: [{ token: USDC, to: ALICE, amount: '1' }] });
    expect(batch).toEqual({
      transfers: [{ token: USDC.toLowerCase(), to: ALICE.toLowerCase(), amount: 1n }],
    });
    expect(
      rules.bodies.batch.check({ transfers: new Array(4).fill({ token: 'USDC', to: ALICE, amount: '1' }) }),
    ).toBe(INVALID);
  });

  it('handles enums, pipes and stripping objects like zod', () => {
    const schema = compileSchema(
      z.object({
        kind: z.enum(['a', 'b']),
        up: z
          .string()
          .transform((text) => text.toUpperCase())
          .pipe(z.enum(['A', 'B']))
          .optional(),
      }),
    );
    for (const value of [
      { kind: 'a' },
      { kind: 'c' },
      { kind: 'b', up: 'a', extra: 1 },
      { kind: 'a', up: 'c' },
      { up: 'a' },
      [],
      null,
    ])
      sameAsZod(schema, value);
  });

  it('refuses, when built, a schema it cannot check as strictly as zod', () => {
    expect(() => compileSchema(z.string().min(2))).toThrow(/not supported/);
    expect(() => compileSchema(z.number())).toThrow(/not supported/);
    expect(() => compileSchema(z.object({}).catchall(z.string()))).toThrow(/not supported/);
    expect(() => compileSchema(z.string().regex(/a/g))).toThrow(/not supported/);
    expect(() => compileSchema(z.object({ a: z.string() }).refine(() => true))).toThrow(/not supported/);
  });
});

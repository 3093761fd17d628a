/**
 * Properties of request body validation: the relayer's transfer bodies and every admin route's
 * body and query schemas take any JSON and give either a value or their validation error (with
 * a non-empty list of issues), never another exception.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_ROUTES } from '../../src/admin/routes.js';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { parseInput } from '../../src/http/validation.js';
import { parseSendFtBody, parseTransfersBody } from '../../src/relayer/api/transfer-body.js';
import { transferRules } from '../../src/relayer/api/transfer-fields.js';
import { MAX_AMOUNT } from '../../src/relayer/api/transfer-schemas.js';
import { checkProperty, FUZZ_TIMEOUT, reportCases } from './fuzz-settings.js';
import { valueText } from './json-text.js';

const USDC = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const rules = transferRules({ tokens: { USDC }, maxTransfersPerRequest: 4, maxMemoBytes: 16 });

/** Any JSON value, as JSON.parse would give it (own `__proto__` keys included). */
const anyJson = valueText.map((text) => JSON.parse(text) as unknown);

/** A value from a pool mixing valid and invalid field values of every kind. */
const fieldValue = fc.oneof(
  fc.constantFrom(
    USDC,
    USDC.toLowerCase(),
    'USDC',
    'usdc',
    ALICE,
    ALICE.toLowerCase(),
    ALICE.replace('C5', 'c5'),
    `0x${'0'.repeat(40)}`,
    '0x1234',
    '1',
    '0',
    '007',
    MAX_AMOUNT.toString(),
    (MAX_AMOUNT + 1n).toString(),
    '9'.repeat(500),
    `${'0'.repeat(300)}1`,
    '-1',
    '1.5',
    '1e3',
    ' 1',
    '',
    'memo',
    'é'.repeat(9),
    'k'.repeat(128),
    'k'.repeat(129),
    '\u0000',
    'requests',
    'compute_units',
    'day,project',
    'day,,nope',
    '2026-12-07',
    '2026-02-30',
    'x'.repeat(65),
  ),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1.5, 2 ** 53, 31_536_001, Number.MAX_VALUE, -0, 1e-300),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 10 }),
  anyJson,
);

/** Objects over a vocabulary of the fields these bodies know, plus unknown ones. */
const FIELDS = [
  'token',
  'to',
  'amount',
  'memo',
  'idempotencyKey',
  'receiverId',
  'name',
  'rateLimit',
  'perSecond',
  'burst',
  'ratePerMethod',
  'monthlyQuota',
  'quotaUnit',
  'computeUnits',
  'allowedNetworks',
  'allowedMethods',
  'deniedMethods',
  'plan',
  'credits',
  'reason',
  'project',
  'graceSeconds',
  'key',
  'from',
  'groupBy',
  'constructor',
  'toString',
  '__proto__',
  'unknown',
];

const fieldObject: fc.Arbitrary<Record<string, unknown>> = fc.letrec<{ object: Record<string, unknown> }>(
  (tie) => ({
    object: fc
      .array(
        fc.tuple(
          fc.constantFrom(...FIELDS),
          fc.oneof(
            { depthSize: 'small' },
            fieldValue,
            tie('object'),
            fc.array(fc.oneof(fieldValue, tie('object')), { maxLength: 5 }),
          ),
        ),
        { maxLength: 6 },
      )
      .map((entries) => {
        // Built like JSON.parse builds objects: `__proto__` becomes an own key, not the prototype.
        const object: Record<string, unknown> = {};
        for (const [key, value] of entries)
          Object.defineProperty(object, key, { value, enumerable: true, configurable: true, writable: true });
        return object;
      }),
  }),
).object;

/** `arbitrary` one time in eight, else undefined. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 7, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });

/** A transfer of one dialect that is mostly valid: now and then a bad value or a field too many. */
const transferObject = (sendFt: boolean) =>
  fc
    .record({
      token: fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom('USDC', USDC, USDC.toLowerCase()) },
        fieldValue,
      ),
      to: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(ALICE, ALICE.toLowerCase()) }, fieldValue),
      amount: fc.oneof({ weight: 5, arbitrary: fc.bigInt(1n, MAX_AMOUNT).map(String) }, fieldValue),
      memo: fc.option(fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 20 }) }, fieldValue), {
        nil: undefined,
      }),
      extra: rarely(fc.tuple(fc.constantFrom(...FIELDS), fieldValue)),
      drop: rarely(fc.constantFrom('token', 'to', 'amount')),
    })
    .map(({ token, to, amount, memo, extra, drop }) => {
      const transfer: Record<string, unknown> = sendFt ? { receiverId: to, amount } : { token, to, amount };
      if (memo !== undefined) transfer.memo = memo;
      if (drop !== undefined) delete transfer[sendFt && drop === 'to' ? 'receiverId' : drop];
      if (extra !== undefined)
        Object.defineProperty(transfer, extra[0], {
          value: extra[1],
          enumerable: true,
          configurable: true,
          writable: true,
        });
      return transfer;
    });

/** A body of one dialect: any JSON, a field object, a transfer, or a batch of them. */
const body = (sendFt: boolean) =>
  fc.oneof(
    anyJson,
    fieldObject,
    transferObject(sendFt),
    fc
      .tuple(
        fc.array(fc.oneof(transferObject(sendFt), transferObject(sendFt), fieldObject, fieldValue), {
          maxLength: 6,
        }),
        fc.option(fc.oneof(fc.string({ maxLength: 8 }), fieldValue), { nil: undefined }),
      )
      .map(([transfers, idempotencyKey]) =>
        idempotencyKey === undefined ? { transfers } : { transfers, idempotencyKey },
      ),
  );

function expectValidationError(err: unknown, code: string): void {
  if (!(err instanceof GatewayError) || err.code !== code) throw err;
  const issues = (err.data as { issues?: unknown }).issues;
  expect(Array.isArray(issues)).toBe(true);
  expect((issues as unknown[]).length).toBeGreaterThan(0);
  for (const issue of issues as { path: unknown; message: unknown }[]) {
    expect(typeof issue.path).toBe('string');
    expect(typeof issue.message).toBe('string');
  }
}

/** Bodies the relayer accepted: a property that never reaches its happy path proves little. */
let accepted = 0;

afterAll(() => {
  reportCases('bodies');
  console.log(`  relayer bodies accepted: ${accepted}`);
});

describe('relayer transfer bodies (property)', () => {
  it(
    'any JSON gives normalized transfers or ERR_RELAYER_INVALID with issues',
    async () => {
      await checkProperty(
        'relayer transfer bodies',
        fc.property(
          fc.boolean().chain((sendFt) => fc.tuple(fc.constant(sendFt), body(sendFt))),
          ([sendFt, value]) => {
            try {
              const parsed = sendFt
                ? parseSendFtBody(value, rules, 'USDC')
                : parseTransfersBody(value, rules);
              accepted++;
              expect(parsed.transfers.length).toBeGreaterThan(0);
              expect(parsed.transfers.length).toBeLessThanOrEqual(rules.maxTransfersPerRequest);
              for (const transfer of parsed.transfers) {
                expect(transfer.token).toBe(USDC.toLowerCase());
                expect(transfer.to).toMatch(/^0x[0-9a-f]{40}$/);
                expect(transfer.amount > 0n && transfer.amount <= MAX_AMOUNT).toBe(true);
                if (transfer.memo !== undefined)
                  expect(Buffer.byteLength(transfer.memo)).toBeLessThanOrEqual(16);
              }
              const batch = value !== null && typeof value === 'object' && 'transfers' in value;
              expect(parsed.form).toBe(sendFt ? 'send-ft' : batch ? 'batch' : 'single');
            } catch (err) {
              expectValidationError(err, 'ERR_RELAYER_INVALID');
            }
          },
        ),
        2,
      );
    },
    FUZZ_TIMEOUT,
  );
});

describe('admin bodies and queries (property)', () => {
  const routes = fc.constantFrom(...ADMIN_ROUTES);
  const query = fc.dictionary(
    fc.constantFrom(...FIELDS),
    fc.oneof(
      fc.string({ maxLength: 12 }),
      fieldValue.filter((v) => typeof v === 'string'),
    ) as fc.Arbitrary<string>,
    { maxKeys: 4 },
  );

  it(
    "any JSON body and any query give a value or ERR_ADMIN_INVALID, on every route's schemas",
    async () => {
      await checkProperty(
        'admin bodies and queries',
        fc.property(routes, fc.option(body(false), { nil: undefined }), query, (route, value, search) => {
          for (const [schema, input] of [
            [route.body, value],
            [route.query, search],
          ] as const) {
            try {
              parseInput(schema, input);
            } catch (err) {
              expectValidationError(err, 'ERR_ADMIN_INVALID');
            }
          }
        }),
        2,
      );
    },
    FUZZ_TIMEOUT,
  );
});

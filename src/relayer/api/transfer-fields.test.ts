import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { canonicalRequest, requestHash } from './request-hash.js';
import { parseSendFtBody, parseTransfersBody } from './transfer-body.js';
import type { TransferRules } from './transfer-fields.js';
import { transferRules } from './transfer-fields.js';
import {
  addressSchema,
  amountSchema,
  idempotencyKeySchema,
  MAX_AMOUNT,
  memoSchema,
  tokenSchema,
} from './transfer-schemas.js';

type Checked = { ok: true; value: unknown } | { ok: false; message: string };

/** A field schema's answer: the value, or its one message (more than one fails the test). */
function check(schema: z.ZodType, value: unknown): Checked {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  expect(parsed.error.issues).toHaveLength(1);
  return { ok: false, message: parsed.error.issues[0]!.message };
}

const checkAddress = (value: unknown) => check(addressSchema, value);
const checkAmount = (value: unknown) => check(amountSchema, value);
const checkIdempotencyKey = (value: unknown) => check(idempotencyKeySchema, value);
const checkToken = (value: unknown, { tokens }: TransferRules) => check(tokenSchema(tokens), value);
const checkMemo = (value: unknown, { maxMemoBytes }: TransferRules) => check(memoSchema(maxMemoBytes), value);

const USDC = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const rules = transferRules({ tokens: { USDC }, maxTransfersPerRequest: 3, maxMemoBytes: 4 });
const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

describe('field checks', () => {
  it('addresses: 20-byte hex, EIP-55 when mixed case, lowercased', () => {
    expect(checkAddress(ALICE)).toEqual({ ok: true, value: ALICE.toLowerCase() });
    expect(checkAddress(ALICE.toLowerCase()).ok).toBe(true);
    expect(checkAddress(`0x${ALICE.slice(2).toUpperCase()}`).ok).toBe(true);
    expect(checkAddress(ALICE.replace('C5', 'c5'))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/EIP-55/),
    });
    expect(checkAddress('0x1234').ok).toBe(false);
    expect(checkAddress(ALICE.slice(2)).ok).toBe(false);
    expect(checkAddress(42).ok).toBe(false);
  });

  it('amounts: positive integer decimal strings up to 2^256-1, never JSON numbers', () => {
    expect(checkAmount('1')).toEqual({ ok: true, value: 1n });
    expect(checkAmount('007')).toEqual({ ok: true, value: 7n });
    expect(checkAmount(MAX_AMOUNT.toString())).toEqual({ ok: true, value: MAX_AMOUNT });
    expect(checkAmount((MAX_AMOUNT + 1n).toString())).toMatchObject({
      ok: false,
      message: expect.stringMatching(/overflows/),
    });
    expect(checkAmount('9'.repeat(500))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/overflows/),
    });
    expect(checkAmount('0')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/greater than zero/),
    });
    expect(checkAmount('000')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/greater than zero/),
    });
    for (const bad of ['-1', '+1', '1.0', '1e3', ' 1', '0x10', ''])
      expect(checkAmount(bad)).toMatchObject({
        ok: false,
        message: expect.stringMatching(/positive integer/),
      });
    expect(checkAmount(1)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/JSON numbers are refused/),
    });
    expect(checkAmount(null).ok).toBe(false);
  });

  it('tokens: a configured name or address, any case, as the lowercase address', () => {
    expect(checkToken('USDC', rules)).toEqual({ ok: true, value: USDC.toLowerCase() });
    expect(checkToken(USDC.toLowerCase(), rules)).toEqual({ ok: true, value: USDC.toLowerCase() });
    expect(checkToken(USDC.toUpperCase().replace('0X', '0x'), rules).ok).toBe(true);
    expect(checkToken('usdc', rules).ok).toBe(false);
    expect(checkToken('0x0000000000000000000000000000000000000001', rules).ok).toBe(false);
  });

  it('memos are bounded in UTF-8 bytes, keys are 1-128 printable ASCII', () => {
    expect(checkMemo('abcd', rules).ok).toBe(true);
    expect(checkMemo('abé', rules).ok).toBe(true);
    expect(checkMemo('abcé', rules)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/5 UTF-8 bytes/),
    });
    expect(checkIdempotencyKey('a').ok).toBe(true);
    expect(checkIdempotencyKey('order 42/ü'.replace('ü', 'u')).ok).toBe(true);
    expect(checkIdempotencyKey('x'.repeat(128)).ok).toBe(true);
    for (const bad of ['', 'x'.repeat(129), 'tab\there', 'é', 7])
      expect(checkIdempotencyKey(bad).ok).toBe(false);
  });
});

describe('bodies', () => {
  it('parses single, batch and send-ft forms', () => {
    expect(parseTransfersBody({ token: 'USDC', to: ALICE, amount: '5', memo: 'm' }, rules)).toEqual({
      form: 'single',
      idempotencyKey: undefined,
      transfers: [{ token: USDC.toLowerCase(), to: ALICE.toLowerCase(), amount: 5n, memo: 'm' }],
    });
    const batch = parseTransfersBody(
      { transfers: [{ token: 'USDC', to: ALICE, amount: '1' }], idempotencyKey: 'k' },
      rules,
    );
    expect(batch).toMatchObject({ form: 'batch', idempotencyKey: 'k' });
    expect(parseSendFtBody({ receiverId: ALICE, amount: '2' }, rules, 'USDC')).toMatchObject({
      form: 'send-ft',
      transfers: [{ token: USDC.toLowerCase(), amount: 2n }],
    });
  });

  it('lists every problem with its path', () => {
    let caught: unknown;
    try {
      parseTransfersBody({ transfers: [{ token: 'X', to: 'y', amount: 1, z: 0 }, 'no'], extra: true }, rules);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'ERR_RELAYER_INVALID', httpStatus: 400 });
    const paths = (caught as { data: { issues: { path: string }[] } }).data.issues.map((issue) => issue.path);
    expect(paths.sort()).toEqual([
      'extra',
      'transfers.0.amount',
      'transfers.0.to',
      'transfers.0.token',
      'transfers.0.z',
      'transfers.1',
    ]);
  });
});

describe('request hash', () => {
  it('is the same for the same normalized transfers and differs by form and content', () => {
    const a = parseTransfersBody({ token: 'USDC', to: ALICE, amount: '07' }, rules);
    const b = parseTransfersBody({ token: USDC, to: ALICE.toLowerCase(), amount: '7' }, rules);
    expect(requestHash(a.form, a.transfers)).toBe(requestHash(b.form, b.transfers));
    expect(requestHash('batch', a.transfers)).not.toBe(requestHash('single', a.transfers));
    const c = parseTransfersBody({ token: 'USDC', to: ALICE, amount: '7', memo: '' }, rules);
    expect(requestHash(c.form, c.transfers)).not.toBe(requestHash(a.form, a.transfers));
    expect(canonicalRequest('single', a.transfers)).toBe(
      `{"form":"single","transfers":[{"token":"${USDC.toLowerCase()}","to":"${ALICE.toLowerCase()}","amount":"7","memo":null}]}`,
    );
  });
});

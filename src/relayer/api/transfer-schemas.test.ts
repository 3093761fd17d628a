import { describe, expect, it } from 'vitest';
import { IssueList } from '../../errors/issues.js';
import { parseInput } from '../../http/validation.js';
import { parseSendFtBody, parseTransfersBody } from './transfer-body.js';
import { transferRules } from './transfer-fields.js';
import { listQuerySchema, RELAYER_INPUT, RELAYER_QUERY, txHashSchema } from './transfer-schemas.js';
import { parseWaitQuery } from './wait-answers.js';

const USDC = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const DAI = '0x6B175474E89094C44Da98b954EedeAC495271d0F';
const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const rules = transferRules({ tokens: { USDC, DAI }, maxTransfersPerRequest: 3, maxMemoBytes: 8 });
const WAIT = { defaultTimeoutMs: 5_000, maxTimeoutMs: 30_000, pollMs: 100, maxWaiters: 10 };

/** The issues of a refused call, in order; fails when it is not ERR_RELAYER_INVALID. */
function issuesOf(call: () => unknown): { path: string; message: string }[] {
  try {
    call();
  } catch (err) {
    expect(err).toMatchObject({ code: 'ERR_RELAYER_INVALID', httpStatus: 400 });
    return (err as { data: { issues: { path: string; message: string }[] } }).data.issues;
  }
  throw new Error('not refused');
}

const single = (fields: Record<string, unknown>) => issuesOf(() => parseTransfersBody(fields, rules));
const ok = { token: 'USDC', to: ALICE, amount: '1' };

describe('transfer fields (docs/relayer.md, fields of a transfer)', () => {
  it('token: a configured name (case-sensitive) or address', () => {
    expect(single({ ...ok, token: 'usdc' })).toEqual([
      { path: 'token', message: 'unknown token: expected one of USDC, DAI or their addresses' },
    ]);
    expect(single({ ...ok, token: 7 })).toEqual([
      { path: 'token', message: 'expected a token name or address string' },
    ]);
    const empty = transferRules({ tokens: {}, maxTransfersPerRequest: 1, maxMemoBytes: 1 });
    expect(issuesOf(() => parseTransfersBody(ok, empty))).toEqual([
      { path: 'token', message: 'unknown token: relayer.tokens is empty' },
    ]);
  });

  it('to: 0x and 40 hex digits, EIP-55 when mixed case', () => {
    expect(single({ ...ok, to: '0x1234' })).toEqual([
      { path: 'to', message: 'expected a 0x-prefixed 20-byte hex address' },
    ]);
    expect(single({ ...ok, to: ALICE.replace('C5', 'c5') })).toEqual([
      { path: 'to', message: 'the address has mixed case but a wrong EIP-55 checksum' },
    ]);
    expect(single({ ...ok, to: null })).toEqual([
      { path: 'to', message: 'expected a 0x-prefixed 20-byte hex address string' },
    ]);
  });

  it('amount: a decimal string of base units, 1 to 2^256-1', () => {
    expect(single({ ...ok, amount: 5 })).toEqual([
      {
        path: 'amount',
        message:
          'expected a decimal string of base units, e.g. "1000000": JSON numbers are refused because they lose precision above 2^53',
      },
    ]);
    expect(single({ ...ok, amount: true })).toEqual([
      { path: 'amount', message: 'expected a decimal string of base units, e.g. "1000000"' },
    ]);
    expect(single({ ...ok, amount: '1e3' })).toEqual([
      {
        path: 'amount',
        message:
          'expected a positive integer decimal string of base units (digits only: no sign, point or exponent)',
      },
    ]);
    expect(single({ ...ok, amount: '000' })).toEqual([
      { path: 'amount', message: 'the amount must be greater than zero' },
    ]);
    for (const amount of [(1n << 256n).toString(), '9'.repeat(500)])
      expect(single({ ...ok, amount })).toEqual([
        { path: 'amount', message: 'the amount overflows uint256 (most is 2^256-1)' },
      ]);
  });

  it('memo: a string of at most relayer.maxMemoBytes UTF-8 bytes', () => {
    expect(single({ ...ok, memo: 'éééée' })).toEqual([
      { path: 'memo', message: 'the memo is 9 UTF-8 bytes; at most 8 are allowed' },
    ]);
    expect(single({ ...ok, memo: null })).toEqual([{ path: 'memo', message: 'expected a string' }]);
  });

  it('idempotencyKey: 1-128 printable ASCII characters', () => {
    expect(single({ ...ok, idempotencyKey: 'clé' })).toEqual([
      { path: 'idempotencyKey', message: 'expected 1-128 printable ASCII characters' },
    ]);
    expect(single({ ...ok, idempotencyKey: 1 })).toEqual([
      { path: 'idempotencyKey', message: 'expected a string of 1-128 printable ASCII characters' },
    ]);
  });
});

describe('bodies', () => {
  it('lists the key, then unknown fields, then the fields in order, as before', () => {
    expect(single({ gas: 1, idempotencyKey: '', amount: 0, from: 'x' })).toEqual([
      { path: 'idempotencyKey', message: 'expected 1-128 printable ASCII characters' },
      { path: 'gas', message: 'unknown field' },
      { path: 'from', message: 'unknown field' },
      { path: 'token', message: 'required' },
      { path: 'to', message: 'required' },
      { path: 'amount', message: expect.stringMatching(/JSON numbers are refused/) },
    ]);
    expect(
      issuesOf(() =>
        parseTransfersBody(
          { extra: 1, transfers: [ok, 'no', { ...ok, to: 'x', y: 2 }], idempotencyKey: 3 },
          rules,
        ),
      ),
    ).toEqual([
      { path: 'idempotencyKey', message: 'expected a string of 1-128 printable ASCII characters' },
      { path: 'extra', message: 'unknown field' },
      { path: 'transfers.1', message: 'expected an object' },
      { path: 'transfers.2.y', message: 'unknown field' },
      { path: 'transfers.2.to', message: 'expected a 0x-prefixed 20-byte hex address' },
    ]);
  });

  it('refuses a body that is not an object, and bad transfers arrays, without looking at items', () => {
    expect(single([] as never)).toEqual([{ path: '(root)', message: 'expected a JSON object' }]);
    const batch = (transfers: unknown) => issuesOf(() => parseTransfersBody({ transfers }, rules));
    expect(batch('abcd')).toEqual([{ path: 'transfers', message: 'expected an array of transfers' }]);
    expect(batch([])).toEqual([{ path: 'transfers', message: 'expected at least one transfer' }]);
    expect(batch([1, 2, 3, 4])).toEqual([
      {
        path: 'transfers',
        message: '4 transfers; at most 3 are allowed per request (relayer.maxTransfersPerRequest)',
      },
    ]);
  });

  it('/send-ft: receiverId instead of to and token', () => {
    expect(
      issuesOf(() =>
        parseSendFtBody({ receiverId: 'alice.near', amount: '1', token: 'USDC' }, rules, 'USDC'),
      ),
    ).toEqual([
      { path: 'token', message: 'unknown field' },
      { path: 'receiverId', message: 'expected a 0x-prefixed 20-byte hex address' },
    ]);
    expect(
      parseSendFtBody({ transfers: [{ receiverId: ALICE, amount: '2', memo: 'm' }] }, rules, 'DAI'),
    ).toEqual({
      form: 'send-ft',
      idempotencyKey: undefined,
      transfers: [{ token: DAI.toLowerCase(), to: ALICE.toLowerCase(), amount: 2n, memo: 'm' }],
    });
  });
});

describe('queries and path parameters', () => {
  const wait = (query: string) => {
    const issues = new IssueList();
    const request = parseWaitQuery(`/v1/transfers${query}`, WAIT, issues);
    return { request, issues: issues.kept };
  };

  it('?wait= and timeoutMs', () => {
    expect(wait('')).toEqual({ request: undefined, issues: [] });
    expect(wait('?wait=confirmed')).toEqual({
      request: { target: 'confirmed', timeoutMs: 5_000 },
      issues: [],
    });
    expect(wait('?wait=submitted&timeoutMs=007')).toEqual({
      request: { target: 'submitted', timeoutMs: 7 },
      issues: [],
    });
    expect(wait('?wait=mined&timeoutMs=0').issues).toEqual([
      { path: 'wait', message: 'expected submitted or confirmed, got "mined"' },
      { path: 'timeoutMs', message: 'expected an integer from 1 to 30000 (relayer.wait.maxTimeoutMs)' },
    ]);
    expect(wait('?timeoutMs=5').issues).toEqual([{ path: 'timeoutMs', message: 'only with wait' }]);
    expect(wait('?wait=confirmed&wait=x&wiat=1&wiat=2').issues).toEqual([
      { path: 'wait', message: 'given more than once' },
      { path: 'wiat', message: 'unknown query parameter' },
    ]);
    expect(wait('?__proto__=1').issues).toEqual([{ path: '__proto__', message: 'unknown query parameter' }]);
  });

  it('the list query', () => {
    const list = (query: Record<string, string>) =>
      issuesOf(() => parseInput(listQuerySchema, query, RELAYER_QUERY));
    expect(
      parseInput(listQuerySchema, { status: 'failed', limit: '500', before: 'tr_1' }, RELAYER_QUERY),
    ).toEqual({
      status: 'failed',
      limit: 500,
      before: 'tr_1',
    });
    expect(list({ limit: '0', status: 'done', sort: 'asc' })).toEqual([
      { path: 'sort', message: 'unknown query parameter' },
      { path: 'status', message: 'expected one of accepted, batched, signed, submitted, confirmed, failed' },
      { path: 'limit', message: 'expected an integer from 1 to 500' },
    ]);
    for (const limit of ['501', '1.5', '-1', '10000']) expect(list({ limit })).toHaveLength(1);
  });

  it('a transaction hash', () => {
    const hash = `0x${'AB'.repeat(32)}`;
    expect(parseInput(txHashSchema, hash, RELAYER_INPUT, 'txHash')).toBe(hash.toLowerCase());
    expect(issuesOf(() => parseInput(txHashSchema, 'not-a-hash', RELAYER_INPUT, 'txHash'))).toEqual([
      { path: 'txHash', message: 'expected a transaction hash: 0x and 64 hex digits' },
    ]);
  });
});

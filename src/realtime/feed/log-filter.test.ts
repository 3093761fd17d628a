import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../errors/gateway-error.js';
import { matchesLog, parseLogFilter, type RpcLog } from './log-filter.js';

const A = `0x${'aa'.repeat(20)}`;
const B = `0x${'bb'.repeat(20)}`;
const T1 = `0x${'01'.repeat(32)}`;
const T2 = `0x${'02'.repeat(32)}`;
const T3 = `0x${'03'.repeat(32)}`;

function log(address: string, ...topics: string[]): RpcLog {
  return { address, topics };
}

function matches(params: unknown, entry: RpcLog): boolean {
  return matchesLog(parseLogFilter(params), entry);
}

describe('logs filter, as geth matches it', () => {
  it('matches every log without a filter, or with an empty one', () => {
    for (const params of [
      undefined,
      null,
      {},
      { address: [] },
      { topics: [] },
      { address: null, topics: null },
    ])
      expect(matches(params, log(A, T1))).toBe(true);
  });

  it('matches one address or any of a list, ignoring case', () => {
    expect(matches({ address: A }, log(A))).toBe(true);
    expect(matches({ address: A.toUpperCase().replace('0X', '0x') }, log(A))).toBe(true);
    expect(matches({ address: A }, log(B))).toBe(false);
    expect(matches({ address: [B, A] }, log(A))).toBe(true);
    expect(matches({ address: [B] }, log(A))).toBe(false);
  });

  it('reads topics by position: null and [] are wildcards, a list is OR', () => {
    const entry = log(A, T1, T2);
    expect(matches({ topics: [T1] }, entry)).toBe(true);
    expect(matches({ topics: [T2] }, entry)).toBe(false);
    expect(matches({ topics: [null, T2] }, entry)).toBe(true);
    expect(matches({ topics: [[], T2] }, entry)).toBe(true);
    expect(
      matches(
        {
          topics: [
            [T3, T1],
            [T2, T3],
          ],
        },
        entry,
      ),
    ).toBe(true);
    expect(matches({ topics: [[T3], null] }, entry)).toBe(false);
    expect(matches({ address: B, topics: [T1] }, entry)).toBe(false);
  });

  it('does not match a log with fewer topics than the filter has positions, even wildcards', () => {
    expect(matches({ topics: [T1, null] }, log(A, T1))).toBe(false);
    expect(matches({ topics: [null, null, null] }, log(A, T1, T2))).toBe(false);
    expect(matches({ topics: [null] }, log(A))).toBe(false);
  });

  it('refuses what is not a filter, with ERR_REALTIME_INVALID_SUBSCRIPTION', () => {
    const bad = [
      'x',
      [],
      { address: '0x12' },
      { address: [A, 7] },
      { topics: T1 },
      { topics: ['0x01'] },
      { topics: [T1, T1, T1, T1, T1] },
      { fromBlock: '0x1' },
      { blockHash: T1 },
      { address: Array.from({ length: 1001 }, () => A) },
    ];
    for (const params of bad) {
      let caught: unknown;
      try {
        parseLogFilter(params);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(params)).toBeInstanceOf(GatewayError);
      expect((caught as GatewayError).code).toBe('ERR_REALTIME_INVALID_SUBSCRIPTION');
    }
  });
});

const hex = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => `0x${Buffer.from(b).toString('hex')}`);
const address = hex(20);
const topic = fc.oneof(hex(32), fc.constantFrom(T1, T2, T3));
const anyLog = fc.record({
  address: fc.oneof(address, fc.constantFrom(A, B)),
  topics: fc.array(topic, { maxLength: 4 }),
});
const position = fc.oneof(fc.constant(null), topic, fc.array(topic, { maxLength: 3 }));
const anyFilter = fc.record(
  {
    address: fc.oneof(fc.constant(null), address, fc.constantFrom(A, B), fc.array(address, { maxLength: 3 })),
    topics: fc.array(position, { maxLength: 4 }),
  },
  { requiredKeys: [] },
);

/** geth's filterLogs, written out the way its source reads. */
function reference(filter: { address?: unknown; topics?: unknown[] }, entry: RpcLog): boolean {
  const addresses = filter.address == null ? [] : ([] as string[]).concat(filter.address as string);
  if (addresses.length > 0 && !addresses.some((a) => a.toLowerCase() === entry.address.toLowerCase()))
    return false;
  const topics = filter.topics ?? [];
  if (topics.length > entry.topics.length) return false;
  return topics.every((sub, i) => {
    const list = sub == null ? [] : ([] as string[]).concat(sub as string);
    return list.length === 0 || list.some((t) => t.toLowerCase() === entry.topics[i]!.toLowerCase());
  });
}

describe('logs filter properties', () => {
  it('agrees with geth on every filter and log', () => {
    fc.assert(
      fc.property(anyFilter, anyLog, (filter, entry) => {
        expect(matches(filter, entry)).toBe(reference(filter, entry));
      }),
      { seed: 18, numRuns: 2000 },
    );
  });

  it('a filter made of a log’s own address and topics (any prefix, in any case) matches it', () => {
    fc.assert(
      fc.property(anyLog, fc.nat(4), fc.boolean(), (entry, cut, upper) => {
        const shout = (s: string) => (upper ? `0x${s.slice(2).toUpperCase()}` : s);
        const topics = entry.topics.slice(0, cut).map(shout);
        expect(matches({ address: shout(entry.address), topics }, entry)).toBe(true);
      }),
      { seed: 18 },
    );
  });
});

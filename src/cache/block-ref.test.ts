import { describe, expect, it } from 'vitest';
import { type BlockRef, canonicalBlockParam, parseBlockRef, parseHash, parseQuantity } from './block-ref.js';

const HASH = `0x${'ab'.repeat(32)}`;
const UPPER_HASH = `0x${'AB'.repeat(32)}`;

describe('parseBlockRef', () => {
  it.each<[unknown, BlockRef]>([
    ['0x1b4', { kind: 'number', number: 0x1b4 }],
    ['0x1B4', { kind: 'number', number: 0x1b4 }],
    ['0x01b4', { kind: 'number', number: 0x1b4 }],
    ['0X1b4', { kind: 'number', number: 0x1b4 }],
    ['0x0', { kind: 'number', number: 0 }],
    ['0x1fffffffffffff', { kind: 'number', number: Number.MAX_SAFE_INTEGER }],
    ['latest', { kind: 'tag', tag: 'latest' }],
    ['pending', { kind: 'tag', tag: 'pending' }],
    ['safe', { kind: 'tag', tag: 'safe' }],
    ['finalized', { kind: 'tag', tag: 'finalized' }],
    ['earliest', { kind: 'tag', tag: 'earliest' }],
    [HASH, { kind: 'hash', hash: HASH, requireCanonical: false }],
    [UPPER_HASH, { kind: 'hash', hash: HASH, requireCanonical: false }],
    [{ blockNumber: '0x1B4' }, { kind: 'number', number: 0x1b4 }],
    [{ blockNumber: 'latest' }, { kind: 'tag', tag: 'latest' }],
    [{ blockHash: HASH }, { kind: 'hash', hash: HASH, requireCanonical: false }],
    [
      { blockHash: UPPER_HASH, requireCanonical: false },
      { kind: 'hash', hash: HASH, requireCanonical: false },
    ],
    [
      { blockHash: HASH, requireCanonical: true },
      { kind: 'hash', hash: HASH, requireCanonical: true },
    ],
  ])('reads %j', (value, expected) => {
    expect(parseBlockRef(value)).toEqual(expected);
  });

  it.each<unknown>([
    '0x',
    '0x1g',
    '1b4',
    '436',
    'Latest',
    'latest ',
    '',
    436,
    null,
    undefined,
    true,
    [],
    ['0x1'],
    '0x20000000000000', // above Number.MAX_SAFE_INTEGER
    `${HASH}00`,
    `0x${'zz'.repeat(32)}`,
    {},
    { blockNumber: '0x1', blockHash: HASH },
    { blockNumber: 1 },
    { blockNumber: '0x1', requireCanonical: true },
    { blockHash: HASH, requireCanonical: 'yes' },
    { blockHash: '0x1234' },
    { blockHash: HASH, extra: 1 },
    { number: '0x1' },
  ])('rejects %j as uncacheable', (value) => {
    expect(parseBlockRef(value)).toBeUndefined();
  });
});

describe('canonicalBlockParam', () => {
  it('gives every spelling of one block the same key value', () => {
    const spellings = ['0x1b4', '0x1B4', '0x001b4', { blockNumber: '0x1B4' }];
    expect(new Set(spellings.map((s) => JSON.stringify(canonicalBlockParam(parseBlockRef(s)!))))).toEqual(
      new Set(['"0x1b4"']),
    );
    expect(canonicalBlockParam(parseBlockRef('0x000')!)).toBe('0x0');
    expect(canonicalBlockParam(parseBlockRef('pending')!)).toBe('pending');
    expect(canonicalBlockParam(parseBlockRef({ blockHash: UPPER_HASH })!)).toBe(HASH);
    expect(canonicalBlockParam(parseBlockRef(UPPER_HASH)!)).toBe(HASH);
    expect(canonicalBlockParam(parseBlockRef({ blockHash: HASH, requireCanonical: true })!)).toEqual({
      blockHash: HASH,
      requireCanonical: true,
    });
  });
});

describe('quantities and hashes', () => {
  it('reads quantities and 32-byte hashes only', () => {
    expect(parseQuantity('0xff')).toBe(255);
    expect(parseQuantity('ff')).toBeUndefined();
    expect(parseQuantity(255)).toBeUndefined();
    expect(parseHash(UPPER_HASH)).toBe(HASH);
    expect(parseHash(`0x${'a'.repeat(40)}`)).toBeUndefined();
    expect(parseHash(null)).toBeUndefined();
  });
});

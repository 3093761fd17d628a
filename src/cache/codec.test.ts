import { randomBytes } from 'node:crypto';
import { brotliCompressSync, deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  CacheCodecError,
  decodeValue,
  ENCODE_FORMAT,
  encodeValue,
  FORMAT_BROTLI,
  FORMAT_DEFLATE_RAW,
  FORMAT_GZIP,
  FORMAT_RAW,
  FORMAT_ZSTD,
} from './codec.js';

/** A seeded PRNG (mulberry32) so the test block is the same on every run. */
function seeded(seed: number): (bytes: number) => string {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (bytes) => {
    let out = '';
    for (let i = 0; i < bytes; i++)
      out += Math.floor(next() * 256)
        .toString(16)
        .padStart(2, '0');
    return out;
  };
}

/**
 * An eth_getBlockByNumber(n, true) result shaped like a real one: random hashes and signatures
 * (incompressible), a few hot addresses, ABI-encoded calldata with its zero padding.
 */
function blockJson(txCount: number): Buffer {
  const hex = seeded(42);
  const addresses = Array.from({ length: 30 }, () => `0x${hex(20)}`);
  const pick = (i: number): string => addresses[(i * 7) % addresses.length] ?? '0x';
  const blockHash = `0x${hex(32)}`;
  const transactions = Array.from({ length: txCount }, (_, i) => ({
    type: '0x2',
    chainId: '0x1',
    nonce: `0x${(i * 13).toString(16)}`,
    gas: '0x2d2a8',
    maxFeePerGas: `0x${hex(5)}`,
    maxPriorityFeePerGas: `0x${hex(4)}`,
    to: pick(i),
    value: i % 3 === 0 ? `0x${hex(7)}` : '0x0',
    accessList: [],
    input: i % 3 === 0 ? '0x' : `0xa9059cbb${hex(20).padStart(64, '0')}${hex(9).padStart(64, '0')}`,
    r: `0x${hex(32)}`,
    s: `0x${hex(32)}`,
    yParity: '0x1',
    v: '0x1',
    hash: `0x${hex(32)}`,
    blockHash,
    blockNumber: '0x1312d00',
    transactionIndex: `0x${i.toString(16)}`,
    from: pick(i + 11),
    gasPrice: `0x${hex(5)}`,
  }));
  const block = {
    hash: blockHash,
    parentHash: `0x${hex(32)}`,
    miner: pick(3),
    stateRoot: `0x${hex(32)}`,
    logsBloom: `0x${hex(256)}`,
    number: '0x1312d00',
    gasLimit: '0x1c9c380',
    gasUsed: '0x1c9a3f1',
    timestamp: '0x6b033281',
    baseFeePerGas: '0x17703754',
    transactions,
  };
  return Buffer.from(JSON.stringify(block));
}

describe('format bytes', () => {
  it('keep the values already written to Redis', () => {
    expect([FORMAT_RAW, FORMAT_GZIP, FORMAT_BROTLI, FORMAT_DEFLATE_RAW, FORMAT_ZSTD]).toEqual([
      0, 1, 2, 3, 4,
    ]);
  });
});

describe('encodeValue / decodeValue', () => {
  const block = blockJson(100);

  it('compresses a value at the threshold with the chosen codec and reads it back', () => {
    const stored = encodeValue(block, 1024);
    expect(stored[0]).toBe(ENCODE_FORMAT);
    expect(decodeValue(stored).equals(block)).toBe(true);
  });

  it('compresses a real-looking JSON block to less than 40 % of its size', () => {
    expect(block.length).toBeGreaterThan(60_000);
    const stored = encodeValue(block, 1024);
    expect(stored.length / block.length).toBeLessThan(0.4);
  });

  it('keeps values below the threshold raw', () => {
    const value = Buffer.from(`"0x${'0'.repeat(1019)}"`); // an eth_call hex string, 1023 bytes
    expect(value.length).toBe(1023);
    const stored = encodeValue(value, 1024);
    expect(stored[0]).toBe(FORMAT_RAW);
    expect(stored.subarray(1).equals(value)).toBe(true);
    expect(decodeValue(stored).equals(value)).toBe(true);
    // One more byte reaches the threshold.
    const atThreshold = Buffer.from(`"0x${'0'.repeat(1020)}"`);
    expect(encodeValue(atThreshold, 1024)[0]).toBe(ENCODE_FORMAT);
  });

  it('keeps incompressible values raw: format byte 0 and length + 1', () => {
    const value = randomBytes(4096);
    const stored = encodeValue(value, 1024);
    expect(stored[0]).toBe(FORMAT_RAW);
    expect(stored.length).toBe(value.length + 1);
    expect(decodeValue(stored).equals(value)).toBe(true);
  });

  it('stores an empty value as a lone raw format byte', () => {
    const stored = encodeValue(Buffer.alloc(0), 0);
    expect([...stored]).toEqual([FORMAT_RAW]);
    expect(decodeValue(stored).length).toBe(0);
  });
});

describe('decodeValue reads every format byte', () => {
  const value = blockJson(20);
  const stored = (format: number, payload: Buffer): Buffer => Buffer.concat([Buffer.from([format]), payload]);

  it.each([
    ['raw', FORMAT_RAW, value],
    ['gzip level 1', FORMAT_GZIP, gzipSync(value, { level: 1 })],
    ['gzip level 9', FORMAT_GZIP, gzipSync(value, { level: 9 })],
    ['brotli default quality', FORMAT_BROTLI, brotliCompressSync(value)],
    ['deflate-raw level 6', FORMAT_DEFLATE_RAW, deflateRawSync(value, { level: 6 })],
  ])('%s', (_name, format, payload) => {
    expect(decodeValue(stored(format, payload)).equals(value)).toBe(true);
  });
});

describe('decodeValue errors', () => {
  it('throws on an unknown format byte', () => {
    const err = catchError(() => decodeValue(Buffer.from([0x7f, 1, 2, 3])));
    expect(err).toBeInstanceOf(CacheCodecError);
    expect(err.message).toMatch(/format byte 0x7f: unknown/);
    expect((err as CacheCodecError).format).toBe(0x7f);
  });

  it('throws on the reserved zstd byte', () => {
    expect(() => decodeValue(Buffer.from([FORMAT_ZSTD, 0x28, 0xb5, 0x2f, 0xfd]))).toThrow(
      /format byte 0x04: reserved \(zstd\)/,
    );
  });

  it('throws on an empty buffer (no format byte)', () => {
    const err = catchError(() => decodeValue(Buffer.alloc(0)));
    expect(err).toBeInstanceOf(CacheCodecError);
    expect(err.message).toMatch(/no format byte/);
  });

  it('throws on a corrupt payload, with the zlib error as the cause', () => {
    const err = catchError(() => decodeValue(Buffer.from([FORMAT_GZIP, 1, 2, 3, 4])));
    expect(err).toBeInstanceOf(CacheCodecError);
    expect(err.message).toMatch(/gzip value \(format byte 0x01\) does not decode/);
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('throws when a value would decode to more than maxBytes', () => {
    const bomb = Buffer.concat([Buffer.from([FORMAT_BROTLI]), brotliCompressSync(Buffer.alloc(1 << 20))]);
    expect(bomb.length).toBeLessThan(100);
    expect(() => decodeValue(bomb, 4096)).toThrow(CacheCodecError);
    expect(decodeValue(bomb, 1 << 20).length).toBe(1 << 20);
    expect(() => decodeValue(encodeValue(randomBytes(100), 0), 99)).toThrow(/larger than 99 bytes/);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`threw a non-Error: ${String(err)}`);
  }
  throw new Error('did not throw');
}

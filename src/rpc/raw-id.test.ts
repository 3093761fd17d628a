import { describe, expect, it } from 'vitest';
import { parseBody } from './parse.js';
import { idValueRange, isLossyId, rawIdText, spliceRawId } from './raw-id.js';

const text = (json: string) => rawIdText(Buffer.from(json));

describe('raw ids', () => {
  it('only numbers a JS number cannot hold exactly are lossy', () => {
    expect(isLossyId(2 ** 64)).toBe(true);
    expect(isLossyId(1.5)).toBe(true);
    expect(isLossyId(Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(isLossyId('18446744073709551616')).toBe(false);
    expect(isLossyId(null)).toBe(false);
  });

  it('finds the top-level id, not ids nested in params or inside strings', () => {
    expect(text('{"jsonrpc":"2.0","id":18446744073709551616,"method":"m"}')).toBe('18446744073709551616');
    expect(text('{"params":[{"id":1}],"method":"\\"id\\":2", "id" : 3e400 }')).toBe('3e400');
    expect(text(' {"method":"m","id":"x,}"}')).toBe('"x,}"');
    expect(text('{"method":"m","params":{"id":7}}')).toBeUndefined();
    expect(idValueRange(Buffer.from('{"id":{"a":1}}'))).toBeUndefined();
  });

  it('finds an id whose key is written with the escapes JSON.parse reads as "id"', () => {
    expect(text('{"\\u0069d":18446744073709551616}')).toBe('18446744073709551616');
    expect(text('{"m":1, "i\\u0064" :"x"}')).toBe('"x"');
    expect(text('{"\\u0069\\u0064":1e400}')).toBe('1e400');
    // Other escapes, or other letters, are other keys.
    expect(text('{"\\u0049d":1}')).toBeUndefined();
    expect(text('{"\\u0069dx":1}')).toBeUndefined();
    expect(text('{"jsonrpc":"2.0"}')).toBeUndefined();
  });

  it('splices the raw id into a response entry and keeps the rest byte for byte', () => {
    const body = '{"jsonrpc":"2.0","id":"turnpike-notification","result":{"n":123456789012345678901234}}';
    expect(String(spliceRawId(body, '18446744073709551616'))).toBe(
      '{"jsonrpc":"2.0","id":18446744073709551616,"result":{"n":123456789012345678901234}}',
    );
    expect(spliceRawId('not json', '1')).toBe('not json');
  });

  it('parse keeps the raw id only when it is lossy', () => {
    const big = parseBody(Buffer.from('{"jsonrpc":"2.0","id":18446744073709551617,"method":"m"}'), {
      maxBatchSize: 10,
    });
    const small = parseBody(Buffer.from('{"jsonrpc":"2.0","id":17,"method":"m"}'), { maxBatchSize: 10 });
    expect(big.kind === 'single' && big.item.ok && big.item.request.rawId).toBe('18446744073709551617');
    expect(small.kind === 'single' && small.item.ok && small.item.request.rawId).toBeUndefined();
  });

  it('parse keeps an id too large for a double (1e400) as its text, also under an escaped key', () => {
    for (const [key, id] of [
      ['"id"', '1e400'],
      ['"\\u0069d"', '-1E+400'],
    ]) {
      const body = `{"jsonrpc":"2.0",${key}:${id},"method":"m"}`;
      const parsed = parseBody(Buffer.from(body), { maxBatchSize: 10 });
      expect(parsed.kind === 'single' && parsed.item.ok && parsed.item.request.rawId).toBe(id);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { requestShape } from './request-shape.js';

const shape = (text: string) => requestShape(Buffer.from(text));
const body = (id: string, rest = '"method":"eth_getBalance","params":["0xab","0x10"]') =>
  `{"jsonrpc":"2.0","id":${id},${rest}}`;

describe('requestShape', () => {
  it('cuts out the id: one shape for every id, the id text as sent', () => {
    const ids = [
      '1',
      '0',
      '-7',
      '"abc"',
      '""',
      'null',
      '18446744073709551616',
      '-123456789012345678901234567890',
    ];
    const shapes = ids.map((id) => shape(body(id)));
    for (const [i, found] of shapes.entries()) {
      expect(found?.idText).toBe(ids[i]);
      expect(found?.key).toBe(shapes[0]?.key);
    }
    expect(shapes[0]?.key).toBe(body('\u0000'));
  });

  it('finds the id anywhere at the top level, never inside params', () => {
    const last = shape(
      '{"method":"eth_call","params":[{"id":5,"data":"0x"},"0x1"],"jsonrpc":"2.0","id":"x"}',
    );
    expect(last?.idText).toBe('"x"');
    expect(last?.key).toBe(
      '{"method":"eth_call","params":[{"id":5,"data":"0x"},"0x1"],"jsonrpc":"2.0","id":\u0000}',
    );
    expect(shape(' \n{ "id" : 42 , "method":"m","params":[] } ')?.idText).toBe('42');
  });

  it('differs when anything but the id differs', () => {
    const a = shape(body('1'));
    expect(shape(body('1', '"method":"eth_getBalance","params":["0xab","0x11"]'))?.key).not.toBe(a?.key);
    expect(shape(body('1', '"method":"eth_getBalance", "params":["0xab","0x10"]'))?.key).not.toBe(a?.key);
  });

  it('has no shape for ids the slow path would not echo byte for byte', () => {
    // Fractions, exponents, leading zeros, -0, escapes, non-ASCII, booleans, objects.
    for (const id of ['1.0', '1e3', '01', '-0', '"\\u0041"', '"a\\"b"', '"é"', 'true', '{}', '[1]', '"a'])
      expect(shape(body(id)), id).toBeUndefined();
  });

  it('has no shape for notifications, batches, repeated or escaped ids, and non-objects', () => {
    expect(shape('{"jsonrpc":"2.0","method":"m","params":[]}')).toBeUndefined();
    expect(shape(`[${body('1')}]`)).toBeUndefined();
    expect(shape('{"jsonrpc":"2.0","id":1,"id":2,"method":"m"}')).toBeUndefined();
    expect(shape('{"jsonrpc":"2.0","i\\u0064":1,"id":2,"method":"m"}')).toBeUndefined();
    expect(shape('{"jsonrpc":"2.0","id":1,"method":"a","method":"b"}')).toBeUndefined();
    expect(shape('{"jsonrpc":"2.0","id":1,"method":"a","params":[],"params":[1]}')).toBeUndefined();
    expect(shape('{"jsonrpc":"2.0","jsonrpc":"2.0","id":1,"method":"a"}')).toBeUndefined();
    expect(shape('"id"')).toBeUndefined();
    expect(shape('')).toBeUndefined();
  });

  it('has no shape for malformed or oversized bodies', () => {
    expect(shape(body('1').slice(0, -1))).toBeUndefined();
    expect(shape(`${body('1')}x`)).toBeUndefined();
    expect(shape('{"jsonrpc":"2.0","id":1,"params":[1,2}')).toBeUndefined();
    expect(shape('{"jsonrpc":"2.0","id":1,"method":"m",}')).toBeUndefined();
    expect(shape(body('1', `"method":"eth_call","params":["${'a'.repeat(2100)}"]`))).toBeUndefined();
  });
});

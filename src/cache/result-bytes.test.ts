import { describe, expect, it } from 'vitest';
import { buildResponse, extractResultBytes, ResultResponse } from './result-bytes.js';

const extract = (body: string) => extractResultBytes(Buffer.from(body))?.toString('utf8');

describe('extractResultBytes', () => {
  it.each<[string, string]>([
    ['{"jsonrpc":"2.0","id":1,"result":"0x1"}', '"0x1"'],
    ['{"result":"0x1","jsonrpc":"2.0","id":1}', '"0x1"'],
    ['{"id":1,"result":{"a":1},"jsonrpc":"2.0"}', '{"a":1}'],
    ['{"jsonrpc":"2.0","id":"x","result":[1,[2,{"b":[]}],{}]}', '[1,[2,{"b":[]}],{}]'],
    ['{"jsonrpc":"2.0","id":1,"result":null}', 'null'],
    ['{"jsonrpc":"2.0","id":1,"result":true}', 'true'],
    ['{"jsonrpc":"2.0","id":1,"result":false}', 'false'],
    ['{"jsonrpc":"2.0","id":1,"result":-12.5e+3}', '-12.5e+3'],
    ['{"jsonrpc":"2.0","id":1,"result":[]}', '[]'],
    ['{"jsonrpc":"2.0","id":1,"result":"0x"}', '"0x"'],
  ])('%s', (body, expected) => {
    expect(extract(body)).toBe(expected);
  });

  it('skips strings holding quotes, braces, brackets and backslashes', () => {
    const tricky = String.raw`{"s":"a\"}]{[","t":"\\","u":"\\\"result\":1","v":"}"}`;
    expect(extract(`{"id":"}\\"]","result":${tricky},"jsonrpc":"2.0"}`)).toBe(tricky);
    expect(extract(String.raw`{"id":"\"result\":2","result":"\\"}`)).toBe(String.raw`"\\"`);
    // A member named "result" inside a nested object or a string is not the top-level one.
    expect(extract('{"id":{"result":1},"x":"\\"result\\":3","result":4}')).toBe('4');
  });

  it('keeps unicode byte for byte, raw and escaped', () => {
    const value = '{"name":"Zürich 😀 \\u00e9\\ud83d\\ude00","日本":"語"}';
    const bytes = extractResultBytes(Buffer.from(`{"jsonrpc":"2.0","id":1,"result":${value}}`));
    expect(bytes?.equals(Buffer.from(value))).toBe(true);
    expect(JSON.parse(bytes!.toString('utf8'))).toEqual({ name: 'Zürich 😀 é😀', 日本: '語' });
  });

  it('allows whitespace anywhere JSON does', () => {
    expect(extract(' \n{ "jsonrpc" : "2.0" ,\r\n\t"id" : 1 , "result" :  [ 1 , { "a" : "b" } ]  } \n')).toBe(
      '[ 1 , { "a" : "b" } ]',
    );
  });

  it('takes the last of duplicate result members, like JSON.parse', () => {
    expect(extract('{"result":1,"id":1,"result":2}')).toBe('2');
  });

  it('reads a string body too, and returns a view rather than a copy', () => {
    expect(extractResultBytes('{"id":1,"result":"0xab"}')?.toString()).toBe('"0xab"');
    const body = Buffer.from('{"id":1,"result":"0xab"}');
    expect(extractResultBytes(body)?.buffer).toBe(body.buffer);
  });

  it.each([
    '{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"execution reverted"}}',
    '{"error":{"code":-32000,"message":"x"},"jsonrpc":"2.0","id":1,"result":"0x1"}',
    '{"jsonrpc":"2.0","id":1,"result":"0x1","error":{"code":1}}',
  ])('an error response gives nothing: %s', (body) => {
    expect(extract(body)).toBeUndefined();
  });

  it('an explicit "error": null beside a result is no error', () => {
    expect(extract('{"jsonrpc":"2.0","id":1,"error":null,"result":"0x1"}')).toBe('"0x1"');
  });

  it.each([
    '',
    '   ',
    '{}',
    '{"jsonrpc":"2.0","id":1}',
    '[{"jsonrpc":"2.0","id":1,"result":"0x1"}]',
    '"result"',
    '{"jsonrpc":"2.0","id":1,"result":"0x1"',
    '{"jsonrpc":"2.0","id":1,"result":"0x1',
    '{"jsonrpc":"2.0","id":1,"result":[1,2}',
    '{"jsonrpc":"2.0","id":1,"result":{"a":[1}]}',
    '{"jsonrpc":"2.0","id":1,"result":[1,2]]}',
    '{"jsonrpc":"2.0","id":1,"result":{"a":1}}}',
    '{"jsonrpc":"2.0","id":1,"result":"0x1"} x',
    '{"jsonrpc":"2.0","id":1,"result":"0x1"}{}',
    '{"jsonrpc":"2.0","id":1 "result":"0x1"}',
    '{"jsonrpc":"2.0","id":1,"result" "0x1"}',
    '{"jsonrpc":"2.0","id":1,"result":}',
    '{"jsonrpc":"2.0","id":1,"result":nul}',
    '{"jsonrpc":"2.0","id":1,"result":tru',
    '{"jsonrpc":"2.0","id":1,"result":undefined}',
    '{"jsonrpc":"2.0","id":1,"result":"0x1",}',
    '{jsonrpc:"2.0","result":"0x1"}',
    '{"jsonrpc":"2.0","id":1,"result":"\\"}',
  ])('malformed input gives nothing: %j', (body) => {
    expect(extract(body)).toBeUndefined();
  });

  it('finds a 5 MiB result in one pass, exactly', () => {
    const logs: unknown[] = [];
    let size = 0;
    for (let i = 0; size < 5 * 1024 * 1024; i++) {
      const entry = {
        address: `0x${i.toString(16).padStart(40, '0')}`,
        topics: [`0x${'ab'.repeat(32)}`, `0x${i.toString(16).padStart(64, '0')}`],
        data: `0x${'0123456789abcdef'.repeat(16)}`,
        note: i % 97 === 0 ? 'a "quoted" {brace} [bracket] \\ back\\slash ü 😀' : null,
        blockNumber: `0x${(i >> 4).toString(16)}`,
        removed: false,
      };
      logs.push(entry);
      size += JSON.stringify(entry).length;
    }
    const result = JSON.stringify(logs);
    const body = Buffer.from(`{"jsonrpc":"2.0","id":"big","result":${result}}`);
    expect(body.length).toBeGreaterThan(5 * 1024 * 1024);
    const bytes = extractResultBytes(body);
    expect(bytes?.length).toBe(Buffer.byteLength(result));
    expect(bytes?.equals(Buffer.from(result))).toBe(true);
    // Member order does not matter at this size either.
    const reordered = Buffer.from(`{"result":${result},"id":"big","jsonrpc":"2.0"}`);
    expect(extractResultBytes(reordered)?.equals(Buffer.from(result))).toBe(true);
    // A truncated copy is caught.
    expect(extractResultBytes(body.subarray(0, body.length - 2))).toBeUndefined();
  });
});

describe('buildResponse', () => {
  it.each([
    ['1', '"0x1"'],
    ['"abc"', '{"a":[1,2]}'],
    ['null', 'null'],
    ['18446744073709551616', '"0x1"'],
    ['"ü😀"', '"Zürich 😀"'],
  ])('id %s, result %s', (id, result) => {
    const out = buildResponse(id, Buffer.from(result));
    expect(out.toString('utf8')).toBe(`{"jsonrpc":"2.0","id":${id},"result":${result}}`);
    expect(out.length).toBe(Buffer.byteLength(`{"jsonrpc":"2.0","id":${id},"result":${result}}`));
  });

  it('round-trips with extractResultBytes', () => {
    const upstream = Buffer.from('{"result":{"x":"\\"}"},"id":99,"jsonrpc":"2.0"}');
    const out = buildResponse('7', extractResultBytes(upstream)!);
    expect(JSON.parse(out.toString('utf8'))).toEqual({ jsonrpc: '2.0', id: 7, result: { x: '"}' } });
    expect(extractResultBytes(out)?.toString()).toBe('{"x":"\\"}"}');
  });
});

describe('ResultResponse', () => {
  it.each(['1', '"abc"', 'null', '18446744073709551616', '-3'])(
    'writes the bytes buildResponse makes, at any offset (id %s)',
    (id) => {
      const request = Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"m"}`);
      const idStart = request.indexOf(id, 20);
      const result = Buffer.from('{"number":"0x1","hash":"0xab"}');
      const response = new ResultResponse(request, idStart, idStart + id.length, result);
      const expected = buildResponse(id, result);
      expect(response.byteLength).toBe(expected.length);
      const target = Buffer.alloc(response.byteLength + 10, 0x2a);
      response.writeInto(target, 7);
      expect(target.subarray(7, 7 + response.byteLength).equals(expected)).toBe(true);
      expect(target.subarray(0, 7).toString()).toBe('*******');
      expect(target.subarray(7 + response.byteLength).toString()).toBe('***');
    },
  );
});

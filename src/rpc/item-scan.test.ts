import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_DEPTH, scanItem, widestObject } from './item-scan.js';

const scan = (text: string) => scanItem(Buffer.from(text));
const nested = (levels: number) => `{"params":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

describe('scanItem', () => {
  it('counts top-level members as written, repeats included, never nested ones', () => {
    expect(scan('{"jsonrpc":"2.0","id":1,"method":"m","params":[{"a":1,"b":{"c":2}}]}').members).toBe(4);
    expect(scan('{"method":"a","method":"b"}').members).toBe(2);
    expect(scan(' { "a" : "x:y" , "b\\":" : ":" } ').members).toBe(2);
    expect(scan('{}').members).toBe(0);
    expect(scan('[1,2]').members).toBe(0);
  });

  it('measures nesting, the item being level 1, and stops past the limit', () => {
    expect(scan('1').depth).toBe(0);
    expect(scan('{"a":"[[[[{{{{"}').depth).toBe(1);
    expect(scan(nested(MAX_REQUEST_DEPTH)).depth).toBe(MAX_REQUEST_DEPTH);
    expect(scan(nested(MAX_REQUEST_DEPTH + 1)).depth).toBe(MAX_REQUEST_DEPTH + 1);
    expect(scan(nested(100_000)).depth).toBe(MAX_REQUEST_DEPTH + 1);
  });

  it('finds the value of the first top-level id as written', () => {
    const ids = ['1e2', '-0', '1.50', '12345678901234567890', '"a\\"b\\\\"', 'null', '"x"'];
    for (const id of ids) {
      const text = `{"params":[{"id":7}],"id" : ${id} ,"method":"m"}`;
      const found = scan(text);
      expect(text.slice(found.idStart, found.idEnd), id).toBe(id);
    }
    expect(scan('{"method":"m"}').idStart).toBe(-1);
    expect(scan('{"id":{"a":1}}').idEnd).toBe(-1);
  });

  it('finds an id whose key is written with escapes, and counts it as the member it is', () => {
    for (const key of ['"\\u0069d"', '"i\\u0064"', '"\\u0069\\u0064"']) {
      const text = `{"jsonrpc":"2.0",${key}: 18446744073709551616,"method":"m"}`;
      const found = scan(text);
      expect(text.slice(found.idStart, found.idEnd), key).toBe('18446744073709551616');
      expect(scan(`{"id":1,${key}:2}`)).toMatchObject({ members: 2, idStart: 6 });
    }
  });

  it('skips long strings with escaped quotes and backslashes', () => {
    const long = `${'ab'.repeat(40)}\\"${'cd'.repeat(40)}\\\\`;
    const found = scan(`{"data":"${long}","id":5,"x":["${long}"]}`);
    expect(found.members).toBe(3);
    expect(found.depth).toBe(2);
  });
});

describe('widestObject', () => {
  it('counts the members of the widest object at any level', () => {
    expect(widestObject(Buffer.from('{"a":1,"b":{"c":1,"d":2,"e":[{"f":1,"g":2,"h":3,"i":4}]}}'))).toBe(4);
    expect(widestObject(Buffer.from('{"a":"x:y","b":":"}'))).toBe(2);
    expect(widestObject(Buffer.from('[1,2,3]'))).toBe(0);
    const wide = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`f${i}`, { x: 1 }]));
    expect(widestObject(Buffer.from(JSON.stringify({ a: { b: wide } })))).toBe(5_000);
  });
});

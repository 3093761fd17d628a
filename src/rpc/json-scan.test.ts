import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonScanProperties } from '../../test/fuzz/json-scan-properties.js';
import {
  containerEnd,
  elementEnd,
  keyIs,
  MAX_SCAN_DEPTH,
  ObjectWalk,
  plainStringEnd,
  scalarEnd,
  skipSpace,
  stringEnd,
  valueEnd,
} from './json-scan.js';

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const end = (text: string, from = 0) => valueEnd(utf8(text), from);

describe('json-scan primitives', () => {
  it('skips whitespace, and only JSON whitespace', () => {
    expect(skipSpace(utf8(' \t\r\n x'), 0)).toBe(5);
    expect(skipSpace(utf8('\u00a0x'), 0)).toBe(0);
    expect(skipSpace(utf8('  '), 0)).toBe(2);
  });

  it('ends strings at the first quote not escaped, short or long', () => {
    expect(stringEnd(utf8('"ab"c'), 0)).toBe(3);
    expect(stringEnd(utf8('"a\\"b"'), 0)).toBe(5);
    expect(stringEnd(utf8('"a\\\\"b"'), 0)).toBe(4);
    expect(stringEnd(utf8(`"${'x'.repeat(100)}\\"${'y'.repeat(50)}\\\\"`), 0)).toBe(155);
    expect(stringEnd(utf8('"never'), 0)).toBe(-1);
    expect(stringEnd(utf8(`"${'x'.repeat(100)}\\"`), 0)).toBe(-1);
  });

  it('ends plain strings only without escapes or control bytes', () => {
    expect(plainStringEnd(utf8('"id":'), 0)).toBe(3);
    expect(plainStringEnd(utf8('"i\\u0064"'), 0)).toBe(-1);
    expect(plainStringEnd(utf8('"a\nb"'), 0)).toBe(-1);
  });

  it('checks literals and number bytes, not the number grammar', () => {
    for (const [text, stop] of [
      ['true,', 4],
      ['false]', 5],
      ['null}', 4],
      ['-1.5e+7 ', 7],
      ['"x",', 3],
      ['1-2', 3],
    ] as const)
      expect(scalarEnd(utf8(text), 0), text).toBe(stop);
    for (const text of ['tru', 'nul', 'fals', 'x', '', '{}', '[]', '"x'])
      expect(scalarEnd(utf8(text), 0), text).toBe(-1);
  });

  it('matches bracket kinds and skips brackets inside strings', () => {
    expect(end('{"a":[1,{"b":"]}"}]}x')).toBe(20);
    expect(end('[1}')).toBe(-1);
    expect(end('{"a":1]')).toBe(-1);
    expect(end('[[]')).toBe(-1);
    expect(containerEnd(utf8('1'), 0)).toBe(-1);
  });

  it('bounds depth: past the limit, a value is refused', () => {
    const nested = (depth: number) => utf8('['.repeat(depth) + ']'.repeat(depth));
    expect(containerEnd(nested(3), 0, false, 3)).toBe(6);
    expect(containerEnd(nested(4), 0, false, 3)).toBe(-1);
    expect(containerEnd(nested(MAX_SCAN_DEPTH), 0)).toBe(2 * MAX_SCAN_DEPTH);
    expect(containerEnd(nested(MAX_SCAN_DEPTH + 1), 0, true, Number.MAX_SAFE_INTEGER)).toBe(-1);
  });

  it('counts array elements out at level-0 commas, whatever the bytes', () => {
    const json = utf8('[1, {"a":[2,3]}, "x,y" ,[}]');
    const close = json.length - 1;
    expect(elementEnd(json, 1, close)).toBe(2);
    expect(elementEnd(json, 3, close)).toBe(15);
    expect(elementEnd(json, 16, close)).toBe(23);
    expect(elementEnd(json, 24, close)).toBe(close);
    expect(elementEnd(utf8('["open'), 1, 6)).toBe(6);
  });

  it('walks the members of an object, refusing broken punctuation', () => {
    const json = utf8(' { "a" : 1 , "b\\"" :[2] } ');
    const walk = new ObjectWalk();
    const seen: string[] = [];
    expect(walk.open(json, 0)).toBe(true);
    while (walk.nextKey(false)) {
      const stop = valueEnd(json, walk.valueStart);
      seen.push(
        `${json.toString('utf8', walk.keyOpen, walk.keyClose + 1)}=${json.toString('utf8', walk.valueStart, stop)}`,
      );
      walk.valueEnded(stop);
    }
    expect(seen).toEqual(['"a"=1', '"b\\""=[2]']);
    expect(walk.end).toBe(json.length - 1);
    expect(keyIs(json, 3, 5, utf8('"a"'))).toBe(true);
    for (const text of ['{"a" 1}', '{"a":1,}', '{"a":1 "b":2}', '{a:1}', '{"a":1']) {
      const bad = utf8(text);
      walk.open(bad, 0);
      while (walk.nextKey(false)) walk.valueEnded(valueEnd(bad, walk.valueStart));
      expect(walk.end, text).toBe(-1);
    }
    expect(walk.open(utf8('{}'), 0) && !walk.nextKey(false) && walk.end === 2).toBe(true);
    expect(walk.open(utf8('[]'), 0)).toBe(false);
    walk.open(utf8('{"a\\u0062":1}'), 0);
    expect(walk.nextKey(true)).toBe(false);
  });
});

describe('json-scan agrees with JSON.parse (fast-check, fixed seed)', () => {
  for (const { name, property, weight } of jsonScanProperties)
    it(name, () => {
      fc.assert(property, { seed: 20261207, numRuns: Math.max(1, Math.round(200 * weight)) });
    });
});

/**
 * Properties of the JSON byte scanner (src/rpc/json-scan.ts) against JSON.parse, shared by its
 * unit test (a few hundred cases, fixed seed) and the fuzz suite (test/fuzz/json-scan.test.ts).
 * What the scanner claims, and so what is checked: it finds the exact bounds of every value
 * JSON.parse accepts, member by member and element by element; it refuses a string that never
 * closes, a bracket closed by the other kind, a truncated value and nesting past its limit.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import {
  containerEnd,
  elementEnd,
  longStringEnd,
  ObjectWalk,
  skipSpace,
  stringEnd,
  valueEnd,
} from '../../src/rpc/json-scan.js';
import { rpcObjectText, stringText, valueText, ws } from './json-text.js';

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const JSON_SPACE = new Set([0x20, 0x0a, 0x0d, 0x09]);

function parses(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** End of `json` without trailing JSON whitespace. */
function trimmedEnd(json: Buffer): number {
  let end = json.length;
  while (end > 0 && JSON_SPACE.has(json[end - 1]!)) end--;
  return end;
}

/** Valid JSON with one random edit (a byte dropped, repeated, replaced, inserted, or a cut). */
export const nearJson = fc
  .tuple(
    fc.oneof(
      valueText,
      rpcObjectText.map((r) => r.text),
    ),
    fc.nat(),
    fc.constantFrom('none', 'drop', 'repeat', 'replace', 'insert', 'cut'),
    fc.constantFrom(...'[]{}",:\\ 0e-.tfnu\u0000\u00ff'),
  )
  .map(([text, at, edit, char]) => {
    const i = text.length === 0 ? 0 : at % text.length;
    const head = text.slice(0, i);
    const tail = text.slice(i);
    if (edit === 'none') return text;
    if (edit === 'cut') return head;
    if (edit === 'drop') return head + tail.slice(1);
    if (edit === 'repeat') return head + tail.slice(0, 1) + tail;
    if (edit === 'replace') return head + char + tail.slice(1);
    return head + char + tail;
  });

/** A tree of brackets and strings (strings full of brackets and quotes). */
interface Tree {
  readonly kind: 'array' | 'object' | 'string';
  readonly children: readonly Tree[];
}
const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant<Tree>({ kind: 'string', children: [] }),
    fc
      .tuple(fc.constantFrom<'array' | 'object'>('array', 'object'), fc.array(tie('node'), { maxLength: 3 }))
      .map(([kind, children]): Tree => ({ kind, children })),
  ),
})).node;

/** Writes `node`; the container reached when `wrong.at` counts down to 0 (post-order) gets the other closer. */
function writeTree(node: Tree, wrong: { at: number }, strings: readonly string[]): string {
  if (node.kind === 'string') return strings[wrong.at & 1] ?? strings[0] ?? '""';
  const inner = node.children.map((child, i) =>
    node.kind === 'array' ? writeTree(child, wrong, strings) : `"k${i}":${writeTree(child, wrong, strings)}`,
  );
  const object = node.kind === 'object';
  const swap = wrong.at-- === 0;
  const close = object !== swap ? '}' : ']';
  return `${object ? '{' : '['}${inner.join(',')}${close}`;
}

export interface ScanProperty {
  readonly name: string;
  readonly property: fc.IRawProperty<unknown>;
  /** Share of the run count (as in test/fuzz/fuzz-settings.ts). */
  readonly weight: number;
}

const property = <T>(name: string, weight: number, p: fc.IRawProperty<T>): ScanProperty => ({
  name,
  weight,
  property: p as fc.IRawProperty<unknown>,
});

export const jsonScanProperties: readonly ScanProperty[] = [
  property(
    'json scan: value bounds',
    1,
    fc.property(
      ws,
      valueText,
      ws,
      fc.constantFrom('', ',', ']', '}', ':', ' 1'),
      (before, value, after, tail) => {
        const json = utf8(before + value + after + tail);
        const start = skipSpace(json, 0);
        expect(start).toBe(bytes(before));
        expect(valueEnd(json, start)).toBe(bytes(before + value));
        expect(valueEnd(json, start, true)).toBe(bytes(before + value));
      },
    ),
  ),
  property(
    'json scan: agrees with JSON.parse on near-JSON',
    2,
    fc.property(nearJson, (text) => {
      const json = utf8(text);
      // The text the bytes hold (a lone surrogate became U+FFFD).
      const parsed = parses(json.toString('utf8'));
      const start = skipSpace(json, 0);
      const end = valueEnd(json, start);
      // Both string strategies give one answer.
      expect(valueEnd(json, start, true)).toBe(end);
      // Never refuses what JSON.parse accepts, and finds its exact end.
      if (parsed.ok) expect(end).toBe(trimmedEnd(json));
      // A value it refuses for a string or a bracket, JSON.parse refuses too.
      if (end === -1 && (json[start] === 0x22 || json[start] === 0x5b || json[start] === 0x7b))
        expect(parsed.ok).toBe(false);
      // Objects: every member found, keys and values exactly as JSON.parse reads them.
      if (
        parsed.ok &&
        parsed.value !== null &&
        typeof parsed.value === 'object' &&
        !Array.isArray(parsed.value)
      ) {
        const walk = new ObjectWalk();
        expect(walk.open(json, 0)).toBe(true);
        const members = new Map<string, unknown>();
        while (walk.nextKey(false)) {
          const valueStop = valueEnd(json, walk.valueStart);
          const key = JSON.parse(json.toString('utf8', walk.keyOpen, walk.keyClose + 1)) as string;
          members.set(key, JSON.parse(json.toString('utf8', walk.valueStart, valueStop)));
          walk.valueEnded(valueStop);
        }
        expect(walk.end).toBe(trimmedEnd(json));
        expect(Object.fromEntries(members)).toEqual(parsed.value);
      }
      // Arrays: elements counted out at level-0 commas are JSON.parse's elements.
      if (parsed.ok && Array.isArray(parsed.value)) {
        const close = trimmedEnd(json) - 1;
        const elements: unknown[] = [];
        let i = start + 1;
        while (skipSpace(json, i) < close) {
          const stop = elementEnd(json, i, close);
          elements.push(JSON.parse(json.toString('utf8', i, stop)));
          i = stop + 1;
        }
        expect(elements).toEqual(parsed.value);
      }
    }),
  ),
  property(
    'json scan: truncated values',
    1,
    fc.property(valueText, fc.nat(), (value, at) => {
      const whole = utf8(value);
      const cut = whole.subarray(0, at % whole.length);
      const end = valueEnd(cut, 0);
      const first = whole[0];
      if (first === 0x22 || first === 0x5b || first === 0x7b) expect(end).toBe(-1);
      // A cut number is still a run of number bytes; a cut literal is refused.
      else expect([-1, cut.length]).toContain(end);
    }),
  ),
  property(
    'json scan: bracket kinds',
    1,
    fc.property(
      tree,
      fc.integer({ min: -1, max: 20 }),
      fc.array(stringText, { minLength: 1, maxLength: 3 }),
      (root, wrong, strings) => {
        if (root.kind === 'string') return;
        const counter = { at: wrong };
        const text = writeTree(root, counter, strings);
        const swapped = wrong >= 0 && counter.at < 0;
        const json = utf8(text);
        expect(valueEnd(json, 0)).toBe(swapped ? -1 : json.length);
        expect(parses(text).ok).toBe(!swapped);
      },
    ),
  ),
  property(
    'json scan: strings and escapes',
    1,
    fc.property(
      fc.array(fc.constantFrom('\\', '"', 'a', 'u', '0', 'é', '\\\\', '\\"', '\\u0022', '\n'), {
        maxLength: 8,
      }),
      fc.constantFrom('', ',', '"', '\\"'),
      (parts, tail) => {
        const text = `"${parts.join('')}"${tail}`;
        const json = utf8(text);
        const close = stringEnd(json, 0);
        expect(longStringEnd(json, 0)).toBe(close);
        // The first quote not escaped by an odd run of backslashes closes the string.
        let expected = -1;
        for (let i = 1, slashes = 0; i < json.length; i++) {
          if (json[i] === 0x22 && slashes % 2 === 0) {
            expected = i;
            break;
          }
          slashes = json[i] === 0x5c ? slashes + 1 : 0;
        }
        expect(close).toBe(expected);
        // Whatever JSON.parse reads as one string ends where the scanner says.
        const body = `"${parts.join('')}"`;
        if (parses(body).ok) expect(stringEnd(json, 0)).toBe(bytes(body) - 1);
        // A backslash before the closing quote leaves it open.
        if (parses(body).ok) {
          const open = utf8(`"${parts.join('')}\\"`);
          expect(stringEnd(open, 0)).toBe(-1);
        }
      },
    ),
  ),
  property(
    'json scan: nesting bound',
    1,
    fc.property(
      fc.array(fc.boolean(), { minLength: 1, maxLength: 300 }),
      fc.integer({ min: 1, max: 300 }),
      (objects, limit) => {
        const open = objects.map((object) => (object ? '{"a":' : '[')).join('');
        const close = objects
          .map((object) => (object ? '}' : ']'))
          .reverse()
          .join('');
        const json = utf8(`${open}1${close}`);
        expect(containerEnd(json, 0, limit % 2 === 0, limit)).toBe(objects.length > limit ? -1 : json.length);
      },
    ),
  ),
];

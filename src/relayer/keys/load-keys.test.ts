import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyLoadError, loadPrivateKeys, parseKeyFile, parseKeyList } from './load-keys.js';

const KEY_A = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const KEY_B = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const KEY_C = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';
const N = 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnpike-keys-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The error thrown by `fn`, checked to hold none of the given secrets. */
function errorOf(fn: () => unknown, secrets: string[]): KeyLoadError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(KeyLoadError);
    const text = `${(err as Error).message} ${(err as Error).stack ?? ''}`;
    for (const secret of secrets) expect(text.toLowerCase()).not.toContain(secret.toLowerCase().slice(2, 20));
    return err as KeyLoadError;
  }
  throw new Error('expected an error');
}

describe('parseKeyList', () => {
  it('splits on commas and any whitespace, lowercases', () => {
    expect(parseKeyList(` ${KEY_A.toUpperCase().replace('0X', '0x')},${KEY_B}\n\t${KEY_C} ,`, '$K')).toEqual([
      KEY_A,
      KEY_B,
      KEY_C,
    ]);
    expect(parseKeyList('  ', '$K')).toEqual([]);
  });

  it('names a bad key by position and source, never by content', () => {
    const short = `${KEY_B.slice(0, 60)}`;
    const err = errorOf(
      () => parseKeyList(`${KEY_A},${KEY_B},${short}`, '$TURNPIKE_RELAYER_KEYS'),
      [KEY_A, KEY_B],
    );
    expect(err.message).toBe(
      'key 3 in $TURNPIKE_RELAYER_KEYS is not a 32-byte hex private key (0x and 64 hex digits)',
    );
    expect(errorOf(() => parseKeyList(KEY_A.slice(2), '$K'), [KEY_A]).message).toMatch(
      /^key 1 in \$K is not/,
    );
    expect(errorOf(() => parseKeyList(`${KEY_A.slice(0, -1)}g`, '$K'), [KEY_A]).message).toMatch(/key 1/);
  });

  it('refuses zero and scalars at or above the secp256k1 order', () => {
    expect(errorOf(() => parseKeyList(`0x${'0'.repeat(64)}`, '$K'), []).message).toBe(
      'key 1 in $K is zero, not a private key',
    );
    expect(errorOf(() => parseKeyList(`${KEY_A} 0x${N}`, '$K'), [`0x${N}`]).message).toBe(
      'key 2 in $K is not below the secp256k1 group order',
    );
    expect(errorOf(() => parseKeyList(`0x${'f'.repeat(64)}`, '$K'), []).message).toMatch(/group order/);
    // n - 1 is the largest valid key.
    const nMinus1 = `0x${(BigInt(`0x${N}`) - 1n).toString(16)}`;
    expect(parseKeyList(nMinus1, '$K')).toEqual([nMinus1]);
  });
});

describe('parseKeyFile', () => {
  it('reads one key per line, skipping blanks and comments', () => {
    expect(parseKeyFile(`# relayer keys\n${KEY_A}\r\n\n  ${KEY_B}  \n`, 'keys.txt')).toEqual([KEY_A, KEY_B]);
  });

  it('reads a JSON array', () => {
    expect(parseKeyFile(`\n[ "${KEY_A}", "${KEY_B}" ]\n`, 'keys.json')).toEqual([KEY_A, KEY_B]);
    expect(errorOf(() => parseKeyFile(`["${KEY_A}", 5]`, 'keys.json'), [KEY_A]).message).toMatch(
      /^key 2 in keys.json is not a 32-byte hex private key/,
    );
  });

  it('does not echo broken JSON (its parse error would quote the keys)', () => {
    const err = errorOf(() => parseKeyFile(`["${KEY_A}", ${KEY_B}]`, 'keys.json'), [KEY_A, KEY_B]);
    expect(err.message).toBe('keys.json starts with "[" but is not valid JSON');
    expect(err.cause).toBeUndefined();
  });
});

describe('loadPrivateKeys', () => {
  it('joins the variable and the file, each key once', async () => {
    const file = join(dir, 'keys.txt');
    await writeFile(file, `${KEY_B}\n${KEY_C}\n${KEY_A.toUpperCase().replace('0X', '0x')}\n`);
    const keys = await loadPrivateKeys({ env: 'KEYS', file, environment: { KEYS: `${KEY_A}, ${KEY_B}` } });
    expect(keys).toEqual([KEY_A, KEY_B, KEY_C]);
  });

  it('is empty when neither source holds keys, and an unset variable is not an error', async () => {
    expect(await loadPrivateKeys({ env: 'NOPE', environment: {} })).toEqual([]);
    expect(await loadPrivateKeys({})).toEqual([]);
  });

  it('names the file in errors', async () => {
    const file = join(dir, 'bad.txt');
    await writeFile(file, `${KEY_A}\n${KEY_B}\n${KEY_C}x\n`);
    await expect(loadPrivateKeys({ file })).rejects.toThrow(
      `key 3 in ${file} is not a 32-byte hex private key (0x and 64 hex digits)`,
    );
    await expect(loadPrivateKeys({ file: join(dir, 'missing.txt') })).rejects.toThrow(
      /cannot read the key file .*missing\.txt \(ENOENT\)/,
    );
  });
});

/**
 * Loads the relayer's signing keys from an environment variable and/or a file. Keys are
 * validated (32-byte hex, a valid secp256k1 scalar) and deduplicated. No message this module
 * makes ever contains key material: errors name the key by position and source only, and a JSON
 * parse error (whose text quotes the input) is never passed on.
 */
import { readFile } from 'node:fs/promises';
import type { Hex } from 'viem';

export interface LoadKeysOptions {
  /** Name of the environment variable: keys separated by commas or whitespace. */
  env?: string;
  /** A file of keys: one per line (blank lines and `#` comments skipped), or a JSON array of strings. */
  file?: string;
  /** Where `env` is looked up. @default process.env */
  environment?: Readonly<Record<string, string | undefined>>;
}

export class KeyLoadError extends Error {
  override readonly name = 'KeyLoadError';
}

/** secp256k1 group order: a private key must be in [1, n-1]. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const KEY_FORMAT = /^0x[0-9a-fA-F]{64}$/;

/** Keys from the variable first, then the file; lowercase, each once. Empty when neither holds any. */
export async function loadPrivateKeys(options: LoadKeysOptions): Promise<Hex[]> {
  const keys: Hex[] = [];
  if (options.env !== undefined) {
    const text = (options.environment ?? process.env)[options.env];
    if (text !== undefined) keys.push(...parseKeyList(text, `$${options.env}`));
  }
  if (options.file !== undefined) keys.push(...parseKeyFile(await readKeyFile(options.file), options.file));
  return [...new Set(keys)];
}

/** Keys separated by commas or whitespace; `source` names them in errors. */
export function parseKeyList(text: string, source: string): Hex[] {
  return validateAll(
    text.split(/[\s,]+/).filter((part) => part !== ''),
    source,
  );
}

/** A file's text: a JSON array of strings when it starts with `[`, else one key per line. */
export function parseKeyFile(text: string, source: string): Hex[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) return validateAll(parseJsonArray(trimmed, source), source);
  const lines = trimmed
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return validateAll(lines, source);
}

async function readKeyFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new KeyLoadError(`cannot read the key file ${file} (${code})`);
  }
}

function parseJsonArray(text: string, source: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The SyntaxError's message quotes the input around the mistake: never pass it on.
    throw new KeyLoadError(`${source} starts with "[" but is not valid JSON`);
  }
  if (!Array.isArray(parsed)) throw new KeyLoadError(`${source} is not a JSON array of keys`);
  return parsed;
}

function validateAll(candidates: readonly unknown[], source: string): Hex[] {
  return candidates.map((candidate, i) => validateKey(candidate, i + 1, source));
}

function validateKey(candidate: unknown, position: number, source: string): Hex {
  const where = `key ${position} in ${source}`;
  if (typeof candidate !== 'string' || !KEY_FORMAT.test(candidate))
    throw new KeyLoadError(`${where} is not a 32-byte hex private key (0x and 64 hex digits)`);
  const scalar = BigInt(candidate);
  if (scalar === 0n) throw new KeyLoadError(`${where} is zero, not a private key`);
  if (scalar >= SECP256K1_N) throw new KeyLoadError(`${where} is not below the secp256k1 group order`);
  return candidate.toLowerCase() as Hex;
}

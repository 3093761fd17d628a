/**
 * Checks of the single fields of a transfer request: address, amount, token, memo and the
 * idempotency key. Each returns the normalized value or the message a client sees in
 * `issues[].message`; the body parsers (transfer-body.ts) attach the paths.
 */
import { isAddress } from 'viem';
import type { RelayerConfig } from '../../config/schema.js';

export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

/** 2^256 - 1: the largest uint256, the most an ERC-20 `transfer` can carry. */
export const MAX_AMOUNT = (1n << 256n) - 1n;
/** 2^256 - 1 has 78 decimal digits; anything much longer is refused before BigInt parses it. */
const MAX_AMOUNT_DIGITS = 78;
const DIGITS = /^[0-9]+$/;
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,128}$/;

/** What the field checks need from `relayer`, precomputed once. */
export interface TransferRules {
  /** Token name → lowercase address, and every configured lowercase address → itself. */
  readonly tokens: ReadonlyMap<string, string>;
  readonly maxTransfersPerRequest: number;
  readonly maxMemoBytes: number;
}

export function transferRules(
  config: Pick<RelayerConfig, 'tokens' | 'maxTransfersPerRequest' | 'maxMemoBytes'>,
): TransferRules {
  const tokens = new Map<string, string>();
  for (const [name, address] of Object.entries(config.tokens)) {
    tokens.set(name, address.toLowerCase());
    tokens.set(address.toLowerCase(), address.toLowerCase());
  }
  return {
    tokens,
    maxTransfersPerRequest: config.maxTransfersPerRequest,
    maxMemoBytes: config.maxMemoBytes,
  };
}

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = <T>(message: string): Checked<T> => ({ ok: false, message });

/** A 0x-prefixed 20-byte hex address; mixed case must be a valid EIP-55 checksum. Lowercased. */
export function checkAddress(value: unknown): Checked<string> {
  if (typeof value !== 'string') return fail('expected a 0x-prefixed 20-byte hex address string');
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) return fail('expected a 0x-prefixed 20-byte hex address');
  const hex = value.slice(2);
  const mixedCase = hex !== hex.toLowerCase() && hex !== hex.toUpperCase();
  // A mixed-case address is a checksum claim, and a wrong one usually means a typo.
  if (mixedCase && !isAddress(value, { strict: true }))
    return fail('the address has mixed case but a wrong EIP-55 checksum');
  return ok(value.toLowerCase());
}

/** A positive integer amount of base units, as a decimal string, at most 2^256-1. */
export function checkAmount(value: unknown): Checked<bigint> {
  if (typeof value === 'number' || typeof value === 'bigint')
    return fail(
      'expected a decimal string of base units, e.g. "1000000": JSON numbers are refused because they lose precision above 2^53',
    );
  if (typeof value !== 'string') return fail('expected a decimal string of base units, e.g. "1000000"');
  if (!DIGITS.test(value))
    return fail(
      'expected a positive integer decimal string of base units (digits only: no sign, point or exponent)',
    );
  const digits = value.replace(/^0+(?=\d)/, '');
  if (digits.length > MAX_AMOUNT_DIGITS) return fail('the amount overflows uint256 (most is 2^256-1)');
  const amount = BigInt(digits);
  if (amount === 0n) return fail('the amount must be greater than zero');
  if (amount > MAX_AMOUNT) return fail('the amount overflows uint256 (most is 2^256-1)');
  return ok(amount);
}

/** A token name of `relayer.tokens` or one of their addresses (any case); the lowercase address. */
export function checkToken(value: unknown, rules: TransferRules): Checked<string> {
  if (typeof value !== 'string') return fail('expected a token name or address string');
  const address = rules.tokens.get(value) ?? rules.tokens.get(value.toLowerCase());
  if (address === undefined) {
    const names = [...rules.tokens.keys()].filter((key) => !key.startsWith('0x'));
    return fail(
      names.length === 0
        ? 'unknown token: relayer.tokens is empty'
        : `unknown token: expected one of ${names.join(', ')} or their addresses`,
    );
  }
  return ok(address);
}

export function checkMemo(value: unknown, rules: TransferRules): Checked<string> {
  if (typeof value !== 'string') return fail('expected a string');
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > rules.maxMemoBytes)
    return fail(`the memo is ${bytes} UTF-8 bytes; at most ${rules.maxMemoBytes} are allowed`);
  return ok(value);
}

/** 1–128 printable ASCII characters (space to tilde). */
export function checkIdempotencyKey(value: unknown): Checked<string> {
  if (typeof value !== 'string') return fail('expected a string of 1-128 printable ASCII characters');
  if (!IDEMPOTENCY_KEY.test(value)) return fail('expected 1-128 printable ASCII characters');
  return ok(value);
}

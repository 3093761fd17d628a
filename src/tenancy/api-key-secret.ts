/**
 * API key secrets: `tp_` + 32 base62 characters (190 bits). The store keeps only the SHA-256
 * of a key and its first 8 characters for display; the secret is shown once and then exists
 * only with its holder. A plain hash (no salt, no slow KDF) is enough because the secret is
 * random, not a password, and the hot path must look keys up by hash.
 */
import { createHash } from 'node:crypto';
import { BASE62_PATTERN, randomBase62 } from './ids.js';

export const API_KEY_PREFIX = 'tp_';
const API_KEY_RANDOM_LENGTH = 32;
const DISPLAY_PREFIX_LENGTH = 8;
export const API_KEY_SHAPE = new RegExp(`^${API_KEY_PREFIX}${BASE62_PATTERN}{${API_KEY_RANDOM_LENGTH}}$`);

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBase62(API_KEY_RANDOM_LENGTH);
}

/** Hex SHA-256 of the whole key: what the store keeps and looks up. */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The first 8 characters (`tp_3Fq9K`): enough to tell keys apart, far too little to use one. */
export function displayPrefix(secret: string): string {
  return secret.slice(0, DISPLAY_PREFIX_LENGTH);
}

/** A cheap shape check, so garbage is refused before any hashing or lookup. */
export function looksLikeApiKey(text: string): boolean {
  return API_KEY_SHAPE.test(text);
}

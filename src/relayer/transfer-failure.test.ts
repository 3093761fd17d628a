/** Failure codes of transfers: each one a documented error code, and `CODE: message` both ways. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors/codes.js';
import { failureText, TRANSFER_FAILURE_CODES } from './transfer-failure.js';

const doc = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

describe('transfer failure codes', () => {
  it('are error codes, each documented in docs/errors.md and among the causes in docs/relayer.md', () => {
    const errors = doc('errors.md');
    const relayer = doc('relayer.md');
    for (const code of TRANSFER_FAILURE_CODES) {
      expect(ERROR_CODES).toHaveProperty(code);
      expect(errors).toContain(`| \`${code}\` |`);
      expect(relayer).toContain(`| \`${code}\` |`);
    }
  });

  it('are shown as `CODE: message` in `error`, as before they had a column', () => {
    expect(failureText({ code: 'ERR_RELAYER_PREFLIGHT', message: 'no contract: at 0x01' })).toBe(
      'ERR_RELAYER_PREFLIGHT: no contract: at 0x01',
    );
  });
});

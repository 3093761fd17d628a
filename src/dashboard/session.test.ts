import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readCookie, SESSION_TTL_MS, SessionSigner, sessionCookie } from './session.js';

const secret = randomBytes(32);
const cookie = (value: string) => ({ cookie: `other=1; turnpike_dashboard=${value}` });

describe('SessionSigner', () => {
  it('accepts what it signed until it expires', () => {
    const signer = new SessionSigner(secret, 'a'.repeat(16));
    const value = signer.issue(1_000);
    expect(signer.verify(cookie(value), 1_000 + SESSION_TTL_MS - 1)).toBe(true);
    expect(signer.verify(cookie(value), 1_000 + SESSION_TTL_MS)).toBe(false);
  });

  it('refuses another secret, another token, a moved expiry and junk', () => {
    const signer = new SessionSigner(secret, 'a'.repeat(16));
    const value = signer.issue(1_000);
    expect(new SessionSigner(randomBytes(32), 'a'.repeat(16)).verify(cookie(value), 2_000)).toBe(false);
    expect(new SessionSigner(secret, 'b'.repeat(16)).verify(cookie(value), 2_000)).toBe(false);
    const [, signature] = value.split('.');
    expect(signer.verify(cookie(`${10 ** 14}.${signature}`), 2_000)).toBe(false);
    for (const junk of ['', '.', 'x.y', '1e20.abc', `${'9'.repeat(20)}.a`])
      expect(signer.verify(cookie(junk), 2_000)).toBe(false);
    expect(signer.verify({}, 2_000)).toBe(false);
  });
});

describe('cookies', () => {
  it('reads one cookie by name and writes HttpOnly SameSite=Strict ones', () => {
    expect(readCookie('a=1; b = 2 ;c=3', 'b')).toBe('2');
    expect(readCookie('a=1', 'b')).toBeUndefined();
    expect(sessionCookie('v', true)).toBe(
      `turnpike_dashboard=v; Path=/dashboard; Max-Age=${SESSION_TTL_MS / 1000}; HttpOnly; SameSite=Strict; Secure`,
    );
    expect(sessionCookie('', false)).toMatch(/Max-Age=0; HttpOnly; SameSite=Strict$/);
  });
});

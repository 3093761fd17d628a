import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ADMIN_SCOPE, readCookie, SESSION_TTL_MS, SessionSigner, sessionCookie } from './session.js';

const secret = randomBytes(32);
const cookie = (value: string) => ({ cookie: `other=1; turnpike_dashboard=${value}` });
const project = { kind: 'project', projectId: 'prj_A1', keyId: 'key_B2' } as const;

describe('SessionSigner', () => {
  it('accepts what it signed until it expires, with its scope', () => {
    const signer = new SessionSigner(secret, 'a'.repeat(16));
    const value = signer.issue(ADMIN_SCOPE, 1_000);
    expect(signer.verify(cookie(value), 1_000 + SESSION_TTL_MS - 1)).toStrictEqual(ADMIN_SCOPE);
    expect(signer.verify(cookie(value), 1_000 + SESSION_TTL_MS)).toBeUndefined();
    const scoped = signer.issue(project, 1_000);
    expect(scoped.startsWith('p~prj_A1~key_B2.')).toBe(true);
    expect(signer.verify(cookie(scoped), 2_000)).toStrictEqual(project);
  });

  it('refuses another secret, another token, a moved expiry, a changed scope and junk', () => {
    const signer = new SessionSigner(secret, 'a'.repeat(16));
    const value = signer.issue(ADMIN_SCOPE, 1_000);
    expect(new SessionSigner(randomBytes(32), 'a'.repeat(16)).verify(cookie(value), 2_000)).toBeUndefined();
    expect(new SessionSigner(secret, 'b'.repeat(16)).verify(cookie(value), 2_000)).toBeUndefined();
    const [, , signature] = value.split('.');
    expect(signer.verify(cookie(`admin.${10 ** 14}.${signature}`), 2_000)).toBeUndefined();
    // A project's session turned into another project's, or into the admin's.
    const [, expires, projectSignature] = signer.issue(project, 1_000).split('.');
    for (const scope of ['p~prj_X9~key_B2', 'admin'])
      expect(signer.verify(cookie(`${scope}.${expires}.${projectSignature}`), 2_000)).toBeUndefined();
    for (const junk of ['', '.', 'x.y', 'admin.1e20.abc', `admin.${'9'.repeat(20)}.a`, '..', 'p~a~b.9.x'])
      expect(signer.verify(cookie(junk), 2_000)).toBeUndefined();
    expect(signer.verify({}, 2_000)).toBeUndefined();
  });

  it('signs only ids into a scope', () => {
    const signer = new SessionSigner(secret, 'a'.repeat(16));
    expect(() => signer.issue({ kind: 'project', projectId: 'prj_1.2', keyId: 'key_1' })).toThrow();
    expect(() => signer.issue({ kind: 'project', projectId: 'tp_secret~x', keyId: 'key_1' })).toThrow();
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

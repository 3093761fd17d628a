import { describe, expect, it } from 'vitest';
import { maskUrlPassword } from './mask-url.js';

describe('maskUrlPassword', () => {
  it('hides the password, or a user-only credential', () => {
    expect(maskUrlPassword('postgres://app:s3cr%2Ft@db:5432/turnpike')).toBe(
      'postgres://app:***@db:5432/turnpike',
    );
    expect(maskUrlPassword('postgres://app:pa/ss:w@db/turnpike')).toBe('postgres://app:***@db/turnpike');
    expect(maskUrlPassword('redis://:s3cret@cache:6379/0')).toBe('redis://:***@cache:6379/0');
    expect(maskUrlPassword('redis://s3cret@cache:6379')).toBe('redis://***@cache:6379');
    expect(maskUrlPassword('redis+cluster://u:p@a:7000,b:7001')).toBe('redis+cluster://u:***@a:7000,b:7001');
  });

  it('leaves URLs without credentials alone', () => {
    expect(maskUrlPassword('postgres://db/turnpike')).toBe('postgres://db/turnpike');
    expect(maskUrlPassword('postgres://db/turnpike?user=a@b')).toBe('postgres://db/turnpike?user=a@b');
    expect(maskUrlPassword('redis://cache:6379')).toBe('redis://cache:6379');
    expect(maskUrlPassword('/var/lib/turnpike.db')).toBe('/var/lib/turnpike.db');
  });

  it('reads a long URL without an @ once (the old expressions were quadratic)', () => {
    const hostile = '//x:'.repeat(250_000);
    expect(maskUrlPassword(hostile)).toBe(hostile);
    expect(maskUrlPassword(`${hostile}@h`)).toBe(`//x:***@h`);
  });
});

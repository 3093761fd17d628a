import { describe, expect, it } from 'vitest';
import { redactTarget, redactUrl } from './redact.js';

describe('redactUrl', () => {
  it('masks API keys in path segments (Infura, Alchemy, QuickNode styles)', () => {
    const infura = redactUrl('https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef');
    expect(infura).toBe('https://mainnet.infura.io/v3/***');
    const alchemy = redactUrl('https://eth-mainnet.g.alchemy.com/v2/AbC_dEf-123456789XyZ');
    expect(alchemy).toBe('https://eth-mainnet.g.alchemy.com/v2/***');
    const quicknode = redactUrl(
      'https://old-wild-sun.quiknode.pro/5f3c0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f/',
    );
    expect(quicknode).toBe('https://old-wild-sun.quiknode.pro/***/');
  });

  it('keeps short, ordinary path segments', () => {
    expect(redactUrl('http://127.0.0.1:8545/rpc/v1')).toBe('http://127.0.0.1:8545/rpc/v1');
    expect(redactUrl('https://rpc.example.org/')).toBe('https://rpc.example.org/');
  });

  it('masks every query value', () => {
    const out = redactUrl('https://rpc.example.org/eth?apikey=s3cr3t-value&network=main');
    expect(out).toBe('https://rpc.example.org/eth?apikey=***&network=***');
    expect(out).not.toContain('s3cr3t');
  });

  it('masks userinfo', () => {
    const out = redactUrl('https://alice:hunter2@rpc.example.org:8443/');
    expect(out).toBe('https://***:***@rpc.example.org:8443/');
    expect(out).not.toContain('alice');
    expect(out).not.toContain('hunter2');
    expect(redactUrl('https://tokenonly@rpc.example.org/')).toBe('https://***@rpc.example.org/');
  });

  it('masks all of them at once and accepts URL objects', () => {
    const secret = 'Zx9Yw8Vu7Ts6Rq5Po4Nm';
    const url = new URL(`https://user:pw@node.example.com/key/${secret}/ws?token=abc`);
    const out = redactUrl(url);
    expect(out).toBe('https://***:***@node.example.com/key/***/ws?token=***');
    expect(out).not.toContain(secret);
    expect(url.href).toContain(secret); // the input is not modified
  });

  it('does not echo an unparsable URL', () => {
    expect(redactUrl('not a url with secret 0123456789abcdef0123')).toBe('[invalid url]');
  });

  it('masks a request target the same way, keeping it a path', () => {
    expect(redactTarget('/eth/ClientKey0123456789abcd?apikey=s3cr3t&x')).toBe('/eth/***?apikey=***&x=***');
    expect(redactTarget('/eth')).toBe('/eth');
    expect(redactTarget('eth?k=v')).toBe('/eth?k=***');
  });
});

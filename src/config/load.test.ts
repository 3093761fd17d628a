import { describe, expect, it } from 'vitest';
import { formatIssues, parseConfigText } from './load.js';

const NETWORK = 'networks: { eth: { upstreams: [ { url: "http://127.0.0.1:8545" } ] } }';

describe('parseConfigText', () => {
  it('turns interpolated numbers and booleans into typed values', () => {
    const result = parseConfigText(
      `server: { port: "\${PORT}", workers: "\${WORKERS:-2}", compression: { enabled: "\${GZIP}" } }\n${NETWORK}`,
      { PORT: '8080', GZIP: 'false' },
    );
    if (!result.ok) throw new Error(formatIssues(result.issues));
    expect(result.config.server.port).toBe(8080);
    expect(result.config.server.workers).toBe(2);
    expect(result.config.server.compression.enabled).toBe(false);
  });

  it('takes a ws(s) wsUrl on an upstream and refuses anything else, with the path', () => {
    const ok = parseConfigText(
      'networks: { eth: { upstreams: [ { url: "http://127.0.0.1:8545", wsUrl: "wss://node.example/v2/k" } ] } }',
      {},
    );
    if (!ok.ok) throw new Error(formatIssues(ok.issues));
    expect(ok.config.networks.eth?.upstreams[0]?.wsUrl).toBe('wss://node.example/v2/k');
    for (const bad of ['http://127.0.0.1:8545', 'ws://', 'ws:/x', '']) {
      const result = parseConfigText(
        `networks: { eth: { upstreams: [ { url: "http://127.0.0.1:8545", wsUrl: "${bad}" } ] } }`,
        {},
      );
      expect(result.ok, bad).toBe(false);
      if (!result.ok)
        expect(formatIssues(result.issues)).toContain(
          'networks.eth.upstreams[0].wsUrl: expected a ws(s) URL',
        );
    }
  });

  it('takes tenancy.rateLimitTimeoutMs from 10 to 10000 ms and says why anything else is refused', () => {
    const ok = parseConfigText(`tenancy: { rateLimitTimeoutMs: "\${RL_TIMEOUT}" }\n${NETWORK}`, {
      RL_TIMEOUT: '800',
    });
    if (!ok.ok) throw new Error(formatIssues(ok.issues));
    expect(ok.config.tenancy.rateLimitTimeoutMs).toBe(800);
    const defaults = parseConfigText(NETWORK, {});
    if (defaults.ok) expect(defaults.config.tenancy.rateLimitTimeoutMs).toBe(250);
    const refused = {
      '5': 'expected at least 10 ms',
      '20000': 'expected at most 10000 ms',
      '12.5': 'expected a whole number of milliseconds from 10 to 10000',
      '"soon"': 'expected a whole number of milliseconds from 10 to 10000',
    };
    for (const [bad, message] of Object.entries(refused)) {
      const result = parseConfigText(`tenancy: { rateLimitTimeoutMs: ${bad} }\n${NETWORK}`, {});
      expect(result.ok, bad).toBe(false);
      if (!result.ok) expect(formatIssues(result.issues)).toContain(`tenancy.rateLimitTimeoutMs: ${message}`);
    }
  });

  it('still rejects non-numeric text for numeric options, with the path', () => {
    const result = parseConfigText(`server: { port: "\${PORT}" }\n${NETWORK}`, { PORT: 'eighty' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((issue) => issue.path)).toEqual(['server.port']);
  });

  it('keeps numeric-looking strings as strings where the option is a string', () => {
    const result = parseConfigText(
      `networks: { eth: { upstreams: [ { url: "http://127.0.0.1:8545", headers: { x-api-key: "\${KEY}" } } ] } }`,
      { KEY: '12345' },
    );
    if (!result.ok) throw new Error(formatIssues(result.issues));
    expect(result.config.networks.eth?.upstreams[0]?.headers['x-api-key']).toBe('12345');
  });

  it('reports a missing variable at the path that uses it', () => {
    const result = parseConfigText(`networks: { eth: { upstreams: [ { url: "\${RPC_URL}" } ] } }`, {});
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(formatIssues(result.issues)).toContain(
        'networks.eth.upstreams[0].url: environment variable RPC_URL is not set',
      );
  });
});

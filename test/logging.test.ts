/**
 * pino output of a real gateway in front of anvil and of an upstream that refuses connections:
 * request lines carry the request id, breaker transitions are logged, and no secret from a URL,
 * query string or header reaches the log.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { getFreePort } from '../src/dev/free-port.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { createLogger } from '../src/logging/logger.js';
import { postRaw } from './support/raw-http.js';

const BLOCK_NUMBER = '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}';
const SECRETS = [
  'hunter2-password',
  'PathKey0123456789abcdef',
  'ClientKey0123456789abcd',
  'query-secret-value',
  'Bearer-secret-token',
];

/** Collects every log line as parsed JSON. */
class LogSink extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    for (const line of chunk.toString().split('\n')) if (line !== '') this.lines.push(JSON.parse(line));
    done();
  }
}

let anvil: AnvilNode;
let gateway: Gateway;
let url: string;
const sink = new LogSink();

beforeAll(async () => {
  anvil = await startAnvil();
  // Nothing listens here: every attempt is a connection error, so its breaker opens.
  const deadPort = await getFreePort();
  gateway = createGateway(
    {
      logging: { level: 'debug', requests: true },
      networks: {
        eth: {
          upstreams: [
            { id: 'good', url: anvil.url },
            {
              id: 'dead',
              url: `http://user:hunter2-password@127.0.0.1:${deadPort}/v3/PathKey0123456789abcdef`,
              tier: 'fallback',
            },
          ],
          health: { checkChainId: false },
          failsafe: { breaker: { consecutiveFailures: 2, openMs: 60_000 } },
        },
      },
    },
    { logger: createLogger('debug', sink) },
  );
  const listening = await gateway.listen(0, '127.0.0.1');
  url = `${listening.url}/eth`;
});

afterAll(async () => {
  await gateway?.close(0);
  await anvil?.stop();
});

describe('logs', () => {
  it('a request line carries the request id, status and upstream, with keys in its target masked', async () => {
    await postRaw(`${url}/ClientKey0123456789abcd?apikey=query-secret-value`, BLOCK_NUMBER, {
      headers: { 'x-request-id': 'log-test-1', authorization: 'Bearer Bearer-secret-token' },
    });
    const line = sink.lines.find((l) => l.msg === 'request' && l.requestId === 'log-test-1');
    expect(line).toMatchObject({
      status: 200,
      path: '/eth/***?apikey=***',
      upstream: 'good',
      method: 'POST',
    });
  });

  it('an upstream that fails is logged by id: failed attempts at debug, then the breaker opening', async () => {
    // Take the good upstream away so the fallback gets traffic, and ask until its breaker opens.
    const good = gateway.networks.get('eth')!.upstreams[0]!;
    good.chainIdMismatch = true;
    try {
      for (let i = 0; i < 3; i++) await postRaw(url, BLOCK_NUMBER);
    } finally {
      good.chainIdMismatch = false;
    }
    const failed = sink.lines.find((l) => l.msg === 'upstream attempt failed' && l.upstream === 'dead');
    expect(failed).toMatchObject({ level: 20, network: 'eth', outcome: expect.stringMatching(/^ERR_/) });
    const opened = sink.lines.find((l) => l.breaker === 'open' && l.upstream === 'dead');
    expect(opened).toMatchObject({ level: 40, network: 'eth', msg: 'breaker opened for upstream dead' });
  });

  it('every ERR_INTERNAL is logged at error with its stack and request id, single or in a batch', async () => {
    // A fault injected into the real network: anything thrown past the pipeline is a bug.
    const network = gateway.networks.get('eth')!;
    network.handle = () => {
      throw new Error('injected fault');
    };
    try {
      const single = await postRaw(url, BLOCK_NUMBER, { headers: { 'x-request-id': 'internal-1' } });
      expect(single.status).toBe(500);
      expect(single.body).toMatchObject({ error: { data: { code: 'ERR_INTERNAL' } } });
      const batch = await postRaw(url, `[${BLOCK_NUMBER}]`, { headers: { 'x-request-id': 'internal-2' } });
      expect(batch.status).toBe(200);
      expect(batch.body).toMatchObject([{ error: { data: { code: 'ERR_INTERNAL' } } }]);
    } finally {
      delete (network as { handle?: unknown }).handle; // the prototype's method again
    }
    for (const requestId of ['internal-1', 'internal-2']) {
      const line = sink.lines.find((l) => l.level === 50 && l.requestId === requestId);
      expect(line, requestId).toMatchObject({
        network: 'eth',
        code: 'ERR_INTERNAL',
        err: { message: 'injected fault', stack: expect.stringContaining('Error: injected fault') },
      });
    }
  });

  it('no secret from an upstream URL, a query string or a header appears anywhere in the log', () => {
    expect(sink.lines.length).toBeGreaterThan(2);
    for (const secret of SECRETS) expect(sink.text).not.toContain(secret);
  });

  it('header objects that do get logged are redacted by the logger itself', () => {
    const own = new LogSink();
    createLogger('info', own).info(
      { req: { headers: { authorization: 'Bearer-secret-token', 'x-api-key': 'query-secret-value' } } },
      'with headers',
    );
    expect(own.lines[0]).toMatchObject({
      req: { headers: { authorization: '[redacted]', 'x-api-key': '[redacted]' } },
    });
    for (const secret of SECRETS) expect(own.text).not.toContain(secret);
  });
});

/**
 * An upstream answer larger than `maxResponseBytes` fails that request with a precise error,
 * leaves the upstream's breaker closed, and the gateway keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { type LargeAnswerStub, startLargeAnswerStub } from './support/large-answer-stub.js';
import { postRaw } from './support/raw-http.js';

const LIMIT = 1024 * 1024;
let stub: LargeAnswerStub;
let gateway: Gateway;
let url: string;

beforeAll(async () => {
  stub = await startLargeAnswerStub(4 * LIMIT);
  gateway = createGateway({
    logging: { level: 'silent' },
    networks: {
      eth: {
        health: { checkChainId: false },
        failsafe: { breaker: { consecutiveFailures: 2 } },
        upstreams: [{ id: 'stub', url: stub.url, maxResponseBytes: LIMIT }],
      },
    },
  });
  url = `${(await gateway.listen(0, '127.0.0.1')).url}/eth`;
});

afterAll(async () => {
  await gateway?.close(0);
  await stub?.close();
});

describe('maxResponseBytes', () => {
  it('answers 502 ERR_UPSTREAM_RESPONSE_TOO_LARGE without retrying, and keeps serving', async () => {
    const before = stub.largeServed;
    for (let i = 0; i < 3; i++) {
      const res = await postRaw(url, `{"jsonrpc":"2.0","id":${i},"method":"eth_getLogs","params":[{}]}`);
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({
        id: i,
        error: { code: -32603, data: { code: 'ERR_UPSTREAM_RESPONSE_TOO_LARGE', limit: LIMIT } },
      });
    }
    expect(stub.largeServed - before).toBe(3); // one attempt each: not retried
    // Three oversized answers in a row are not the upstream's failures: its breaker stays closed.
    expect(gateway.networks.get('eth')!.upstreams[0]!.breaker.state).toBe('closed');
    const small = await postRaw(url, '{"jsonrpc":"2.0","id":9,"method":"eth_gasPrice","params":[]}');
    expect(small.body).toEqual({ jsonrpc: '2.0', id: 9, result: '0x1' });
  });
});

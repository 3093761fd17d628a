import { afterEach, describe, expect, it, vi } from 'vitest';
import { classifyResponse, type UpstreamOutcome } from './classify-response.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const rpcError = (code: number, message: string) => json({ jsonrpc: '2.0', id: 1, error: { code, message } });

function failureCode(outcome: UpstreamOutcome): string | undefined {
  return outcome.kind === 'failure' ? outcome.error.code : undefined;
}

/** A valid response whose result is a large object (like a full block), `bytes` long or more. */
function largeResult(bytes: number): Buffer {
  const transactions = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const tx = {
      hash: `0x${i.toString(16).padStart(64, '0')}`,
      input: `0x${'ab'.repeat(200)}`,
      note: 'a "quoted" {brace} [bracket] \\ ',
    };
    transactions.push(tx);
    size += JSON.stringify(tx).length;
  }
  return json({ jsonrpc: '2.0', id: 1, result: { number: '0x10', transactions } });
}

describe('classifyResponse', () => {
  it('passes a small result through, parsed', () => {
    const outcome = classifyResponse(200, json({ jsonrpc: '2.0', id: 1, result: '0x2a' }), 'up');
    expect(outcome).toEqual({ kind: 'result', result: '0x2a', parsed: true });
  });

  it('treats a null result as a result', () => {
    expect(classifyResponse(200, json({ jsonrpc: '2.0', id: 1, result: null }), 'up')).toMatchObject({
      kind: 'result',
      result: null,
    });
  });

  it('HTTP 429 is a rate-limit failure whatever the body', () => {
    const outcome = classifyResponse(429, json({ jsonrpc: '2.0', id: 1, result: '0x1' }), 'up');
    expect(failureCode(outcome)).toBe('ERR_UPSTREAM_RATE_LIMITED');
    expect(outcome.kind === 'failure' && outcome.error.retry).toBe('other');
  });

  it('HTTP 5xx is a node failure, even with a JSON-RPC body', () => {
    expect(failureCode(classifyResponse(503, Buffer.from('Service Unavailable'), 'up'))).toBe(
      'ERR_UPSTREAM_HTTP_STATUS',
    );
    expect(failureCode(classifyResponse(500, rpcError(-32000, 'execution reverted'), 'up'))).toBe(
      'ERR_UPSTREAM_HTTP_STATUS',
    );
    expect(failureCode(classifyResponse(502, Buffer.alloc(0), 'up'))).toBe('ERR_UPSTREAM_HTTP_STATUS');
  });

  it('a 4xx carrying a JSON-RPC error passes the error through; a bare 4xx is a failure', () => {
    expect(classifyResponse(400, rpcError(-32602, 'invalid params'), 'up')).toEqual({
      kind: 'rpc-error',
      code: -32602,
      message: 'invalid params',
    });
    expect(failureCode(classifyResponse(404, Buffer.alloc(0), 'up'))).toBe('ERR_UPSTREAM_HTTP_STATUS');
    expect(failureCode(classifyResponse(403, json({ jsonrpc: '2.0', id: 1, result: '0x1' }), 'up'))).toBe(
      'ERR_UPSTREAM_HTTP_STATUS',
    );
  });

  it('garbage, non-objects and empty objects are bad responses', () => {
    const garbage = Buffer.concat([Buffer.from('\u0000<garbage>'), Buffer.from([0xff, 0xfe, 0x7b])]);
    expect(failureCode(classifyResponse(200, garbage, 'up'))).toBe('ERR_UPSTREAM_BAD_RESPONSE');
    expect(failureCode(classifyResponse(200, Buffer.from('<html>502 Bad Gateway</html>'), 'up'))).toBe(
      'ERR_UPSTREAM_BAD_RESPONSE',
    );
    for (const body of ['null', '42', '"x"', '[]', '[{"jsonrpc":"2.0","id":1,"result":"0x1"}]', '{}']) {
      expect(failureCode(classifyResponse(200, Buffer.from(body), 'up')), body).toBe(
        'ERR_UPSTREAM_BAD_RESPONSE',
      );
    }
    expect(failureCode(classifyResponse(200, json({ jsonrpc: '2.0', id: 1, error: 'oops' }), 'up'))).toBe(
      'ERR_UPSTREAM_BAD_RESPONSE',
    );
  });

  it('a truncated small body is a bad response', () => {
    const full = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      result: '0x0000000000000000000000000000000000000000',
    });
    expect(failureCode(classifyResponse(200, Buffer.from(full.slice(0, full.length >> 1)), 'up'))).toBe(
      'ERR_UPSTREAM_BAD_RESPONSE',
    );
  });

  it('passes request errors through unchanged (reverts, bad params, unknown methods)', () => {
    expect(classifyResponse(200, rpcError(3, 'execution reverted: not owner'), 'up')).toEqual({
      kind: 'rpc-error',
      code: 3,
      message: 'execution reverted: not owner',
    });
    expect(classifyResponse(200, rpcError(-32601, 'the method foo_bar does not exist'), 'up')).toMatchObject({
      kind: 'rpc-error',
      code: -32601,
    });
    expect(classifyResponse(200, rpcError(-32000, 'nonce too low'), 'up')).toMatchObject({
      kind: 'rpc-error',
    });
    expect(classifyResponse(200, rpcError(-32003, 'transaction already imported'), 'up')).toMatchObject({
      kind: 'rpc-error',
    });
  });

  it("a log query refused as too large is the request's error, even with -32005", () => {
    for (const message of [
      'query returned more than 10000 results',
      'exceed maximum block range: 2000',
      'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range',
    ]) {
      expect(classifyResponse(200, rpcError(-32005, message), 'up')).toMatchObject({
        kind: 'rpc-error',
        message,
      });
    }
  });

  it('-32005 and "limit exceeded" style messages are rate-limit failures', () => {
    expect(failureCode(classifyResponse(200, rpcError(-32005, 'whatever'), 'up'))).toBe(
      'ERR_UPSTREAM_RATE_LIMITED',
    );
    for (const message of [
      'limit exceeded',
      'daily request count exceeded, request rate limited',
      'Too Many Requests',
      'project ID request rate exceeded capacity',
      'throttled',
    ]) {
      expect(failureCode(classifyResponse(200, rpcError(-32000, message), 'up')), message).toBe(
        'ERR_UPSTREAM_RATE_LIMITED',
      );
    }
  });

  it('"header not found" and other node-state errors are node failures (retried elsewhere)', () => {
    for (const message of [
      'header not found',
      'missing trie node abc (path )',
      'unknown block',
      'request timed out',
    ]) {
      const outcome = classifyResponse(200, rpcError(-32000, message), 'up');
      expect(failureCode(outcome), message).toBe('ERR_UPSTREAM_NODE_ERROR');
    }
  });

  it('names the upstream in failure messages', () => {
    const outcome = classifyResponse(503, Buffer.alloc(0), 'alchemy-1');
    expect(outcome.kind === 'failure' && outcome.error.message).toContain('alchemy-1');
  });

  it('accepts a large valid body without parsing it', () => {
    const body = largeResult(200 * 1024);
    expect(body.length).toBeGreaterThan(200 * 1024);
    const parse = vi.spyOn(JSON, 'parse');
    const outcome = classifyResponse(200, body, 'up');
    expect(outcome).toEqual({ kind: 'result', result: undefined, parsed: false });
    expect(parse).not.toHaveBeenCalled();
  });

  it('rejects a truncated large body (structural check)', () => {
    const body = largeResult(200 * 1024);
    for (const cut of [body.length - 1, body.length >> 1, 70 * 1024]) {
      expect(failureCode(classifyResponse(200, body.subarray(0, cut), 'up')), `cut at ${cut}`).toBe(
        'ERR_UPSTREAM_BAD_RESPONSE',
      );
    }
  });

  it('rejects a large body with trailing garbage or an unterminated string', () => {
    const body = largeResult(100 * 1024);
    expect(failureCode(classifyResponse(200, Buffer.concat([body, Buffer.from('x')]), 'up'))).toBe(
      'ERR_UPSTREAM_BAD_RESPONSE',
    );
    expect(failureCode(classifyResponse(200, Buffer.concat([body, Buffer.from('}')]), 'up'))).toBe(
      'ERR_UPSTREAM_BAD_RESPONSE',
    );
    const open = Buffer.from(`{"jsonrpc":"2.0","id":1,"result":"${'a'.repeat(100 * 1024)}}`);
    expect(failureCode(classifyResponse(200, open, 'up'))).toBe('ERR_UPSTREAM_BAD_RESPONSE');
  });

  it('rejects a large body that is two objects, a bare array or closes a bracket with the wrong kind', () => {
    const body = largeResult(100 * 1024);
    const text = body.toString('utf8');
    expect(failureCode(classifyResponse(200, Buffer.concat([body, Buffer.from('{}')]), 'up'))).toBe(
      'ERR_UPSTREAM_BAD_RESPONSE',
    );
    expect(failureCode(classifyResponse(200, Buffer.from(`[${text}]`), 'up'))).toBe(
      'ERR_UPSTREAM_BAD_RESPONSE',
    );
    const wrongKind = `${text.slice(0, -1)}]`;
    expect(failureCode(classifyResponse(200, Buffer.from(wrongKind), 'up'))).toBe(
      'ERR_UPSTREAM_BAD_RESPONSE',
    );
    expect(classifyResponse(200, Buffer.from(`  ${text}\n`), 'up')).toEqual({
      kind: 'result',
      result: undefined,
      parsed: false,
    });
  });

  it('fully parses a large body whose head mentions an error', () => {
    const big = json({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32000, message: 'header not found', data: 'x'.repeat(100 * 1024) },
    });
    expect(failureCode(classifyResponse(200, big, 'up'))).toBe('ERR_UPSTREAM_NODE_ERROR');
    const revert = json({
      jsonrpc: '2.0',
      id: 1,
      error: { code: 3, message: 'execution reverted', data: `0x${'00'.repeat(50 * 1024)}` },
    });
    expect(classifyResponse(200, revert, 'up')).toEqual({
      kind: 'rpc-error',
      code: 3,
      message: 'execution reverted',
    });
  });
});

/**
 * The WebSocket bounds that protect the gateway, on real sockets against loopback upstream
 * stubs: a client that stops reading is closed with 4008 at `realtime.maxSendBufferBytes` (and
 * the unsent bytes held for it never pass the bound), and the drain answers a request in
 * flight before closing with 1001; an idle socket is closed with 1000, a silent one cut.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { type LargeAnswerStub, startLargeAnswerStub } from './support/large-answer-stub.js';
import { closed, openSocket } from './support/ws-client.js';

const ANSWER_CHARS = 256 * 1024;
const SEND_BUFFER = 1024 * 1024;
const REQUESTS = 400;
const INFLIGHT = 8;

let stub: LargeAnswerStub;

beforeAll(async () => {
  stub = await startLargeAnswerStub(ANSWER_CHARS);
});

afterAll(async () => {
  await stub?.close();
});

function getLogs(id: number): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'eth_getLogs',
    params: [{ fromBlock: `0x${id.toString(16)}`, toBlock: `0x${id.toString(16)}` }],
  });
}

describe('a client that stops reading', () => {
  let gateway: Gateway;

  afterAll(async () => {
    await gateway?.close(1_000);
  });

  it('is closed with 4008 at the send-buffer bound, and what is held for it never passes the bound', async () => {
    gateway = createGateway({
      logging: { level: 'silent' },
      realtime: { maxSendBufferBytes: SEND_BUFFER, maxInflightPerConnection: INFLIGHT },
      networks: {
        eth: { health: { checkChainId: false }, cache: { enabled: false }, upstreams: [{ url: stub.url }] },
      },
    });
    const { port } = await gateway.listen(0, '127.0.0.1');
    const ws = await openSocket(`ws://127.0.0.1:${port}/eth`);
    const closing = closed(ws);
    let received = 0;
    ws.on('message', () => received++);
    ws.pause();
    const servedBefore = stub.largeServed;
    for (let id = 1; id <= REQUESTS; id++) ws.send(getLogs(id));
    const stats = gateway.realtime!.stats;
    await expect.poll(() => stats.slowConsumersClosed, { timeout: 20_000, interval: 10 }).toBe(1);
    // The bound held: never more unsent answer bytes than maxSendBufferBytes in the process…
    expect(stats.peakSendBufferBytes).toBeGreaterThan(0);
    expect(stats.peakSendBufferBytes).toBeLessThanOrEqual(SEND_BUFFER);
    // …and the gateway stopped working for it: the rest of its requests never went upstream.
    const served = stub.largeServed - servedBefore;
    expect(served).toBeLessThan(REQUESTS / 2);
    ws.resume();
    expect((await closing).code).toBe(4008);
    expect(received).toBeLessThan(REQUESTS / 2);
    // Only requests already in flight at the close (at most maxInflightPerConnection) finished.
    expect(stub.largeServed - servedBefore).toBeLessThanOrEqual(served + INFLIGHT);
    await expect.poll(() => gateway.realtime!.connections).toBe(0);
  });
});

describe('the drain', () => {
  let slow: http.Server;
  let slowUrl: string;
  let held = 0;

  beforeAll(async () => {
    // Answers eth_getLogs after 400 ms, everything else at once.
    slow = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const { id, method } = JSON.parse(Buffer.concat(chunks).toString()) as {
          id: unknown;
          method: string;
        };
        const answer = () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":"0x1"}`);
        };
        if (method !== 'eth_getLogs') return answer();
        held++;
        setTimeout(answer, 400);
      });
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    slow.closeAllConnections();
    await new Promise((resolve) => slow.close(resolve));
  });

  it('answers the request in flight, then closes with 1001', async () => {
    const gateway = createGateway({
      logging: { level: 'silent' },
      networks: {
        eth: { health: { checkChainId: false }, cache: { enabled: false }, upstreams: [{ url: slowUrl }] },
      },
    });
    const { port } = await gateway.listen(0, '127.0.0.1');
    const ws = await openSocket(`ws://127.0.0.1:${port}/eth`);
    const messages: string[] = [];
    ws.on('message', (data) => messages.push(data.toString()));
    const closing = closed(ws);
    ws.send(getLogs(42));
    await expect.poll(() => held, { interval: 5 }).toBe(1);
    const started = performance.now();
    const shutdown = gateway.close(5_000);
    const { code } = await closing;
    expect(code).toBe(1001);
    expect(messages).toEqual(['{"jsonrpc":"2.0","id":42,"result":"0x1"}']);
    await shutdown;
    // Closed once the answer was out, not at the end of the grace period.
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});

describe('the idle timeout', () => {
  it('closes a socket whose client sent nothing for realtime.idleTimeoutMs with 1000', async () => {
    const gateway = createGateway({
      logging: { level: 'silent' },
      realtime: { idleTimeoutMs: 300 },
      networks: { eth: { health: { checkChainId: false }, upstreams: [{ url: stub.url }] } },
    });
    try {
      const { port } = await gateway.listen(0, '127.0.0.1');
      const ws = await openSocket(`ws://127.0.0.1:${port}/eth`);
      const opened = performance.now();
      const { code, reason } = await closed(ws);
      expect(code).toBe(1000);
      expect(reason).toBe('idle timeout');
      // Swept every 250 ms: between the timeout and one sweep later (plus scheduling).
      expect(performance.now() - opened).toBeGreaterThanOrEqual(290);
      expect(performance.now() - opened).toBeLessThan(1_500);
    } finally {
      await gateway.close(1_000);
    }
  });
});

describe('the heartbeat', () => {
  it('cuts a socket that does not answer pings, and keeps one that does', async () => {
    const gateway = createGateway({
      logging: { level: 'silent' },
      realtime: { heartbeatMs: 150 },
      networks: { eth: { health: { checkChainId: false }, upstreams: [{ url: stub.url }] } },
    });
    try {
      const { port } = await gateway.listen(0, '127.0.0.1');
      const answering = await openSocket(`ws://127.0.0.1:${port}/eth`);
      const silent = await openSocket(`ws://127.0.0.1:${port}/eth`, { autoPong: false });
      let pings = 0;
      silent.on('ping', () => pings++);
      const opened = performance.now();
      const { code } = await closed(silent);
      // Cut without a close frame, at the tick after an unanswered ping.
      expect(code).toBe(1006);
      expect(pings).toBeGreaterThanOrEqual(1);
      expect(performance.now() - opened).toBeLessThan(1_000);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(answering.readyState).toBe(answering.OPEN);
      answering.close();
    } finally {
      await gateway.close(1_000);
    }
  });
});

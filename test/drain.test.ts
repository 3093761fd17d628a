/**
 * Graceful close on real sockets: a response still in the socket's buffer when the drain starts
 * is delivered whole, and a request still arriving is answered.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { type LargeAnswerStub, startLargeAnswerStub } from './support/large-answer-stub.js';

const BIG_RESULT_CHARS = 32 * 1024 * 1024; // far beyond what loopback socket buffers hold
let stub: LargeAnswerStub;

beforeAll(async () => {
  stub = await startLargeAnswerStub(BIG_RESULT_CHARS);
});

afterAll(async () => {
  await stub?.close();
});

async function startGateway(): Promise<{ gateway: Gateway; port: number }> {
  const gateway = createGateway({
    logging: { level: 'silent' },
    server: { serverTiming: false },
    networks: { eth: { health: { checkChainId: false }, upstreams: [{ url: stub.url }] } },
  });
  const { port } = await gateway.listen(0, '127.0.0.1');
  return { gateway, port };
}

function post(body: string): string {
  return `POST /eth HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Everything the server sends until it closes the connection. */
function readAll(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', () => undefined);
  });
}

function splitResponse(bytes: Buffer): { head: string; body: Buffer } {
  const end = bytes.indexOf('\r\n\r\n');
  return { head: bytes.subarray(0, end).toString('latin1'), body: bytes.subarray(end + 4) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(10);
}

describe('graceful close', () => {
  it('delivers a response still in the socket buffer whole, to a client that reads late', async () => {
    const { gateway, port } = await startGateway();
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause(); // the client does not read yet: the response piles up in the buffers
    const received = readAll(socket);
    const servedBefore = stub.largeServed;
    socket.write(post('{"jsonrpc":"2.0","id":7,"method":"eth_getLogs","params":[{}]}'));
    // Answered upstream and handed to the socket: nothing is in flight any more.
    await until(() => stub.largeServed > servedBefore && gateway.inflight === 0);
    await sleep(100);

    const closed = gateway.close(10_000);
    await sleep(200); // the drain has run over the connections by now
    socket.resume();
    const { head, body } = splitResponse(await received);
    await closed;

    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1]);
    expect(length).toBeGreaterThan(BIG_RESULT_CHARS);
    expect(body.length).toBe(length);
    const reply = JSON.parse(body.toString()) as { id: number; result: string };
    expect(reply.id).toBe(7);
    expect(reply.result.length).toBe(BIG_RESULT_CHARS);
  }, 30_000);

  it('answers a request whose body is still arriving when the drain starts', async () => {
    const { gateway, port } = await startGateway();
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const received = readAll(socket);
    const request = post('{"jsonrpc":"2.0","id":8,"method":"eth_gasPrice","params":[]}');
    const half = request.length - 20;
    socket.write(request.slice(0, half));
    await sleep(100);

    const closed = gateway.close(10_000);
    await sleep(100);
    socket.write(request.slice(half));
    const { head, body } = splitResponse(await received);
    await closed;

    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(head).toMatch(/\r\nconnection: close/i);
    expect(JSON.parse(body.toString())).toEqual({ jsonrpc: '2.0', id: 8, result: '0x1' });
  }, 30_000);
});

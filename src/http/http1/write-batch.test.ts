import net from 'node:net';
import { setImmediate as nextCheck } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { holdUntilBatchEnd, WriteBatch } from './write-batch.js';

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.close();
});

/** `count` client sockets connected to a loopback server that collects what each receives. */
async function connectedPairs(count: number): Promise<{ clients: net.Socket[]; received: () => number }> {
  let bytes = 0;
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('data', (chunk) => {
      bytes += chunk.length;
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const clients = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Socket>((resolve) => {
          const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
          sockets.push(socket);
        }),
    ),
  );
  return { clients, received: () => bytes };
}

describe('holdUntilBatchEnd', () => {
  it('holds what is written until the check phase, then sends it', async () => {
    const { clients, received } = await connectedPairs(1);
    const socket = clients[0]!;
    holdUntilBatchEnd(socket);
    socket.write('first ');
    holdUntilBatchEnd(socket);
    socket.write('second');
    expect(socket.writableLength).toBe(12);
    await nextCheck();
    expect(socket.writableCorked).toBe(0);
    expect(socket.writableLength).toBe(0);
    await expect.poll(received).toBe(12);
  });

  it('flushes the held sockets once 32 wait, before holding the next', async () => {
    const { clients, received } = await connectedPairs(33);
    const batch = new WriteBatch(32, Number.POSITIVE_INFINITY); // no time bound: a busy machine may pause
    for (const socket of clients) {
      batch.hold(socket);
      socket.write('x');
    }
    expect(clients.slice(0, 32).every((socket) => socket.writableCorked === 0)).toBe(true);
    expect(clients[32]!.writableCorked).toBe(1);
    await nextCheck();
    expect(clients[32]!.writableCorked).toBe(0);
    await expect.poll(received).toBe(33);
  });

  it('flushes what has waited over 1 ms before holding the next answer', async () => {
    const { clients, received } = await connectedPairs(2);
    const [early, late] = clients as [net.Socket, net.Socket];
    const batch = new WriteBatch(32, 1);
    batch.hold(early);
    early.write('early');
    const started = performance.now();
    while (performance.now() - started < 2); // a slow handler in the same batch
    expect(early.writableCorked).toBe(1);
    batch.hold(late);
    late.write('late');
    expect(early.writableCorked).toBe(0);
    expect(late.writableCorked).toBe(1);
    await nextCheck();
    await expect.poll(received).toBe(9);
  });

  it('lets a held socket that is destroyed go without failing the flush', async () => {
    const { clients, received } = await connectedPairs(2);
    for (const socket of clients) {
      holdUntilBatchEnd(socket);
      socket.write('y');
    }
    clients[0]!.destroy();
    await nextCheck();
    await expect.poll(received).toBe(1);
  });
});

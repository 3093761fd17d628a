import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startAnvil, stopAllAnvils } from './anvil.js';

const ACCOUNT_0 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const ACCOUNT_1 = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

async function call(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result;
}

function portAcceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

afterAll(stopAllAnvils);

describe('startAnvil', () => {
  it('starts a node that answers eth_chainId, and stop() closes its port', async () => {
    const node = await startAnvil();
    expect(node.chainId).toBe(31337);
    expect(node.url).toBe(`http://127.0.0.1:${node.port}`);
    expect(node.pid).toBeGreaterThan(0);
    expect(await call(node.url, 'eth_chainId')).toBe('0x7a69');

    await node.stop();
    expect(await portAcceptsConnections(node.port)).toBe(false);
    // A second stop is a no-op.
    await node.stop();
  });

  it('uses a custom chain id', async () => {
    const node = await startAnvil({ chainId: 4242 });
    expect(node.chainId).toBe(4242);
    expect(await call(node.url, 'eth_chainId')).toBe('0x1092');
    await node.stop();
  });

  it('does not mine with noMining', async () => {
    const node = await startAnvil({ noMining: true });
    const hash = await call(node.url, 'eth_sendTransaction', [
      { from: ACCOUNT_0, to: ACCOUNT_1, value: '0x1' },
    ]);
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await call(node.url, 'eth_blockNumber')).toBe('0x0');
    expect(await call(node.url, 'eth_getTransactionReceipt', [hash])).toBeNull();
    await node.stop();
  });

  it('kill() ends the process and resolves exited', async () => {
    const node = await startAnvil();
    node.kill('SIGKILL');
    expect(await node.exited).toBeNull();
    expect(await portAcceptsConnections(node.port)).toBe(false);
  });

  it('reports stderr when anvil cannot start', async () => {
    const first = await startAnvil();
    await expect(startAnvil({ port: first.port })).rejects.toThrow(/address already in use/i);
    await first.stop();
  });
});

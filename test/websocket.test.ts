/**
 * JSON-RPC over WebSocket on the gateway's HTTP port, in front of a real anvil, over real
 * sockets: viem's webSocket transport, batches with ids as sent, subscriptions answered,
 * the message size bound, the per-IP limit, embedding on node:http, and plain HTTP unchanged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicClient, parseEther, webSocket } from 'viem';
import { anvil as anvilChain } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import type { TurnpikeConfigInput } from '../src/config/schema.js';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { rawExchange } from './support/raw-http.js';
import { closed, openSocket, type Refusal, request } from './support/ws-client.js';

// Account #5 of anvil's default mnemonic: never spent by this file.
const UNTOUCHED = '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc';
const PER_IP = 6;

let anvil: AnvilNode;
let gateway: Gateway;
let port: number;
let wsUrl: string;

function config(): TurnpikeConfigInput {
  return {
    logging: { level: 'silent' },
    realtime: { maxMessageBytes: 4096, maxConnectionsPerIp: PER_IP },
    networks: { anvil: { upstreams: [{ url: anvil.url }] } },
  };
}

beforeAll(async () => {
  anvil = await startAnvil();
  gateway = createGateway(config());
  ({ port } = await gateway.listen(0, '127.0.0.1'));
  wsUrl = `ws://127.0.0.1:${port}/anvil`;
});

afterAll(async () => {
  await gateway?.close(1_000);
  await anvil?.stop();
});

async function allClosed(): Promise<void> {
  await expect.poll(() => gateway.realtime!.connections, { timeout: 3_000, interval: 10 }).toBe(0);
}

describe('JSON-RPC over WebSocket', () => {
  it('serves viem webSocket reads through the gateway', async () => {
    const client = createPublicClient({
      chain: anvilChain,
      transport: webSocket(wsUrl, { reconnect: false }),
    });
    const before = gateway.realtime!.stats.messagesIn;
    expect(await client.getChainId()).toBe(31337);
    expect(typeof (await client.getBlockNumber())).toBe('bigint');
    expect(await client.getBalance({ address: UNTOUCHED })).toBe(parseEther('10000'));
    expect(gateway.realtime!.stats.messagesIn - before).toBeGreaterThanOrEqual(3);
    (await client.transport.getRpcClient()).close();
    await allClosed();
  });

  it('answers a batch and single messages with every id exactly as sent', async () => {
    const ws = await openSocket(wsUrl);
    const batch = await request(
      ws,
      '[{"jsonrpc":"2.0","id":18446744073709551616,"method":"eth_chainId"},' +
        '{"jsonrpc":"2.0","id":"a","method":"eth_blockNumber"},' +
        '{"jsonrpc":"2.0","method":"eth_chainId"},' +
        '{"jsonrpc":"2.0","id":1e2,"method":"eth_chainId","params":[]}]',
    );
    expect(batch).toContain('"id":18446744073709551616');
    expect(batch).toContain('"id":1e2');
    const entries = JSON.parse(batch) as { id: unknown; result?: string }[];
    expect(entries).toHaveLength(3);
    expect(entries.find((entry) => entry.id === 'a')?.result).toMatch(/^0x[0-9a-f]+$/);
    expect(await request(ws, '{"jsonrpc":"2.0","id":7,"method":"eth_chainId"}')).toBe(
      '{"jsonrpc":"2.0","id":7,"result":"0x7a69"}',
    );
    const bad = JSON.parse(await request(ws, '{nope')) as { id: unknown; error: { code: number } };
    expect(bad.id).toBeNull();
    expect(bad.error.code).toBe(-32700);
    ws.close();
    await allClosed();
  });

  it('answers eth_subscribe and eth_unsubscribe itself, with ids as sent (test/websocket-subscriptions.test.ts)', async () => {
    const ws = await openSocket(wsUrl);
    const text = await request(
      ws,
      '{"jsonrpc":"2.0","id":"s1","method":"eth_subscribe","params":["newHeads"]}',
    );
    expect(text).toContain('"id":"s1"');
    const id = (JSON.parse(text) as { result: string }).result;
    expect(id).toMatch(/^0x[0-9a-f]{32}$/);
    const unsubscribed = await request(
      ws,
      `{"jsonrpc":"2.0","id":9,"method":"eth_unsubscribe","params":["${id}"]}`,
    );
    expect(JSON.parse(unsubscribed)).toEqual({ jsonrpc: '2.0', id: 9, result: true });
    ws.close();
    await allClosed();
  });

  it('closes with 1009 on a message past realtime.maxMessageBytes', async () => {
    const ws = await openSocket(wsUrl);
    const closing = closed(ws);
    ws.send(`{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["${'x'.repeat(5_000)}"]}`);
    expect((await closing).code).toBe(1009);
    await allClosed();
  });

  it('refuses a connection past realtime.maxConnectionsPerIp with 429 before upgrading', async () => {
    const open: WebSocket[] = [];
    for (let i = 0; i < PER_IP; i++) open.push(await openSocket(wsUrl));
    const refused = (await openSocket(wsUrl).catch((err: Refusal) => err)) as Refusal;
    expect(refused.status).toBe(429);
    expect(refused.body.error.data.code).toBe('ERR_REALTIME_CONNECTION_LIMIT');
    expect(refused.body.error.data.limit).toBe('ip');
    open.pop()?.close();
    await expect.poll(() => gateway.realtime!.connections).toBe(PER_IP - 1);
    open.push(await openSocket(wsUrl));
    for (const ws of open) ws.close();
    await allClosed();
  });

  it('refuses an unknown network at the handshake with 404', async () => {
    const refused = (await openSocket(`ws://127.0.0.1:${port}/nope`).catch((err: Refusal) => err)) as Refusal;
    expect(refused.status).toBe(404);
    expect(refused.body.error.data.code).toBe('ERR_NETWORK_NOT_FOUND');
  });

  it('leaves plain HTTP on the same port as it was', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/anvil`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}',
    });
    expect(await res.text()).toBe('{"jsonrpc":"2.0","id":1,"result":"0x7a69"}');
    // Another protocol's upgrade is an ordinary request (GET on the JSON-RPC route: 405), and a
    // request pipelined behind it is still answered.
    const raw = await rawExchange(port, [
      'GET /anvil HTTP/1.1\r\nhost: x\r\nupgrade: h2c\r\nconnection: upgrade\r\n\r\n' +
        'GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n',
    ]);
    expect(raw.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 405', 'HTTP/1.1 200']);
  });
});

describe('embedded in a node:http server', () => {
  it('upgrades through gateway.upgrade on server.on("upgrade")', async () => {
    const embedded = createGateway(config());
    await embedded.start();
    const server = http.createServer(embedded.handler);
    server.on('upgrade', embedded.upgrade);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/anvil`;
    let closedGateway = false;
    try {
      const client = createPublicClient({
        chain: anvilChain,
        transport: webSocket(url, { reconnect: false }),
      });
      expect(await client.getChainId()).toBe(31337);
      const ws = await openSocket(url);
      expect(await request(ws, '[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}]')).toBe(
        '[{"jsonrpc":"2.0","id":1,"result":"0x7a69"}]',
      );
      const closing = closed(ws);
      closedGateway = true;
      await embedded.close(1_000);
      expect((await closing).code).toBe(1001);
      (await client.transport.getRpcClient()).close();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      if (!closedGateway) await embedded.close(0);
    }
  });
});

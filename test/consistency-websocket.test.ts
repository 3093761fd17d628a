/**
 * WebSocket JSON-RPC requests go through consistency too: the socket's session is its key (else
 * its IP), narrowed by the handshake's X-Turnpike-Session. Two real anvils 20 blocks apart; one
 * socket's `latest` reads never go back with consistency on, and do with it off (so the test can
 * fail). A directive on the handshake is checked like an HTTP one.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { startUnevenAnvils, type UnevenAnvils } from './support/uneven-anvils.js';
import { openSocket, request } from './support/ws-client.js';

let anvils: UnevenAnvils;

beforeAll(async () => {
  anvils = await startUnevenAnvils({ lead: 20 });
});

afterAll(async () => {
  await anvils?.stop();
});

async function withGateway<T>(enabled: boolean, run: (wsUrl: string) => Promise<T>): Promise<T> {
  const gateway: Gateway = createGateway({
    logging: { level: 'silent' },
    consistency: { enabled },
    networks: {
      anvil: {
        chainId: 31337,
        // No local eth_blockNumber answers: every read is an upstream's.
        cache: { enabled: false },
        health: { maxBlockLag: 0, probeIntervalMs: 100 },
        upstreams: [
          { id: 'ahead', url: anvils.ahead.url },
          { id: 'behind', url: anvils.behind.url },
        ],
      },
    },
  });
  try {
    const { url } = await gateway.listen(0, '127.0.0.1');
    return await run(`${url.replace('http://', 'ws://')}/anvil`);
  } finally {
    await gateway.close(1_000);
  }
}

/** `count` latest reads over one socket; returns how often the head went back. */
async function socketDecreases(wsUrl: string, session: string, count: number): Promise<number> {
  const ws = await openSocket(wsUrl, { headers: { 'x-turnpike-session': session } });
  try {
    let previous = -1;
    let decreases = 0;
    for (let i = 0; i < count; i++) {
      const byBlock = i % 2 === 1;
      const payload = byBlock
        ? { jsonrpc: '2.0', id: i, method: 'eth_getBlockByNumber', params: ['latest', false] }
        : { jsonrpc: '2.0', id: i, method: 'eth_blockNumber', params: [] };
      const text = await request(ws, JSON.stringify(payload));
      const result = (JSON.parse(text) as { result?: unknown }).result;
      expect(result, text).toBeDefined();
      const head = Number.parseInt(byBlock ? (result as { number: string }).number : (result as string), 16);
      if (head < previous) decreases++;
      previous = head;
    }
    return decreases;
  } finally {
    ws.close();
  }
}

// Concurrent sockets keep both upstreams busy, so power-of-two-choices uses both.
const SOCKETS = ['a', 'b', 'c', 'd', 'e', 'f'];

it("a socket's latest reads never go back with consistency on", async () => {
  const runs = await withGateway(true, (wsUrl) =>
    Promise.all(SOCKETS.map((session) => socketDecreases(wsUrl, session, 150))),
  );
  expect(runs).toEqual(SOCKETS.map(() => 0));
});

it('the same socket load goes back with consistency off', async () => {
  const runs = await withGateway(false, (wsUrl) =>
    Promise.all(SOCKETS.map((session) => socketDecreases(wsUrl, session, 150))),
  );
  expect(runs.reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0);
});

it('a directive on the handshake is checked: an unknown upstream is refused per message', async () => {
  const answer = await withGateway(true, async (wsUrl) => {
    const ws = await openSocket(wsUrl, { headers: { 'x-turnpike-upstream': 'nowhere' } });
    try {
      return JSON.parse(await request(ws, '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}'));
    } finally {
      ws.close();
    }
  });
  expect(answer.error?.data?.code ?? answer.error?.message, JSON.stringify(answer)).toMatch(
    /ERR_DIRECTIVE_INVALID|nowhere/,
  );
});

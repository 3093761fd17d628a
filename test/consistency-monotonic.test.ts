/**
 * Monotonic reads: two real anvils 20 blocks apart, both mining every second. A session's
 * `latest` reads (eth_blockNumber, eth_getBlockByNumber latest) never decrease across 1,000
 * requests with consistency on; with it off, the same load through the same upstreams does
 * see the head go back (so the test can fail).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnpikeConfigInput } from '../src/config/schema.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { postJson } from './support/rpc.js';
import { startUnevenAnvils, type UnevenAnvils } from './support/uneven-anvils.js';

let anvils: UnevenAnvils;

function config(enabled: boolean): TurnpikeConfigInput {
  return {
    logging: { level: 'silent' },
    consistency: { enabled },
    networks: {
      anvil: {
        chainId: 31337,
        // Both upstreams stay in rotation whatever their heights: the gap is the point.
        health: { maxBlockLag: 0, probeIntervalMs: 100 },
        upstreams: [
          { id: 'ahead', url: anvils.ahead.url },
          { id: 'behind', url: anvils.behind.url },
        ],
      },
    },
  };
}

async function withGateway<T>(enabled: boolean, run: (url: string) => Promise<T>): Promise<T> {
  const gateway: Gateway = createGateway(config(enabled));
  try {
    const { url } = await gateway.listen(0, '127.0.0.1');
    return await run(`${url}/anvil`);
  } finally {
    await gateway.close(1_000);
  }
}

/** `count` sequential latest reads of one session; returns the heights it was served. */
async function sessionReads(url: string, session: string, count: number): Promise<number[]> {
  const heights: number[] = [];
  for (let i = 0; i < count; i++) {
    const byBlock = i % 3 === 2;
    const payload = byBlock
      ? { jsonrpc: '2.0', id: i, method: 'eth_getBlockByNumber', params: ['latest', false] }
      : { jsonrpc: '2.0', id: i, method: 'eth_blockNumber', params: [] };
    const answer = await postJson(url, payload, { headers: { 'x-turnpike-session': session } });
    const result = (answer.body as { result?: unknown }).result;
    expect(result, answer.text).toBeDefined();
    const hex = byBlock ? (result as { number: string }).number : (result as string);
    heights.push(Number.parseInt(hex, 16));
  }
  return heights;
}

function decreases(heights: readonly number[]): number {
  let count = 0;
  for (let i = 1; i < heights.length; i++) if (heights[i]! < heights[i - 1]!) count++;
  return count;
}

beforeAll(async () => {
  anvils = await startUnevenAnvils({ lead: 20, blockTime: 1 });
});

afterAll(async () => {
  await anvils?.stop();
});

describe('monotonic reads per session', () => {
  it('state reads at latest and logs to latest go to an upstream at or above the mark', async () => {
    const served = await withGateway(true, async (url) => {
      const headers = { 'x-turnpike-session': 'state' };
      // The mark: a head only the upstream ahead has reached.
      let mark = 0;
      while (mark < 20) {
        const answer = await postJson(
          url,
          { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] },
          { headers },
        );
        mark = Number.parseInt((answer.body as { result: string }).result, 16);
      }
      const upstreams = new Set<string>();
      for (let i = 0; i < 60; i++) {
        const payload =
          i % 2 === 0
            ? {
                jsonrpc: '2.0',
                id: i,
                method: 'eth_getBalance',
                params: ['0x000000000000000000000000000000000000dEaD', 'latest'],
              }
            : { jsonrpc: '2.0', id: i, method: 'eth_getLogs', params: [{ fromBlock: '0x0' }] };
        const answer = await postJson(url, payload, { headers });
        expect((answer.body as { result?: unknown }).result, answer.text).toBeDefined();
        upstreams.add(String(answer.headers['x-turnpike-upstream']));
      }
      return upstreams;
    });
    expect([...served]).toEqual(['ahead']);
  });

  it('without consistency the head goes back (both upstreams answer)', async () => {
    // Concurrent sessions keep both upstreams busy, so power-of-two-choices uses both.
    const sessions = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const runs = await withGateway(false, (url) =>
      Promise.all(sessions.map((session) => sessionReads(url, session, 50))),
    );
    expect(runs.reduce((sum, heights) => sum + decreases(heights), 0)).toBeGreaterThan(0);
  });

  it("never decreases a session's latest reads across 1,000 requests", async () => {
    const sessions = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const runs = await withGateway(true, async (url) => {
      // A read by number starts the chain tracker, so eth_blockNumber may be answered locally
      // from its head too (only when that head is at or above the session's mark).
      await postJson(url, { jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: ['0x1', false] });
      return Promise.all(sessions.map((session) => sessionReads(url, session, 125)));
    });
    for (const heights of runs) {
      expect(heights).toHaveLength(125);
      expect(decreases(heights)).toBe(0);
    }
  });
});

/**
 * Notifications metered in compute units, and subscriptions under the key's limits, over real
 * sockets in front of a real anvil with tenancy on (SQLite): each `eth_subscription` notification
 * is a usage row entry priced by the plan; prepaid credits that cannot pay the next one end the
 * subscription with a last 402 error notification; `eth_subscribe` spends a rate-limit token
 * (429 on an open socket) and obeys the plan (403); the feed metrics appear on /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { SqlTenancyStore } from '../src/tenancy/sql-tenancy-store.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { A, call, emit, T1, T2, waitFor } from './support/realtime-feed-harness.js';

/** Runtime code: LOG2 with topic0 = calldata[0..32], topic1 = calldata[32..64] (as the harness). */
const EMITTER_CODE = '0x60203560003560006000a200';

import { closed, openSocket } from './support/ws-client.js';

let anvil: AnvilNode;
let database: TestDatabase;
let store: SqlTenancyStore;
let gateway: Gateway;
let base: string;

beforeAll(async () => {
  anvil = await startAnvil();
  database = await createTestDatabase('sqlite');
  store = new SqlTenancyStore(database.store);
  gateway = createGateway({
    logging: { level: 'silent' },
    storage: { database: database.options.database },
    tenancy: { enabled: true, changePollMs: 100, usageFlushMs: 100, balanceRefreshMs: 100 },
    networks: {
      anvil: { upstreams: [{ url: anvil.url }], cache: { finality: 'depth', depth: 5, headPollMs: 40 } },
    },
  });
  const { port } = await gateway.listen(0, '127.0.0.1');
  base = `ws://127.0.0.1:${port}/anvil`;
});

afterAll(async () => {
  await gateway?.close(1_000);
  await anvil?.stop();
  await database?.drop();
});

/** A socket that keeps every message it receives, parsed. */
class Recorder {
  // biome-ignore lint/suspicious/noExplicitAny: tests read messages by path.
  readonly messages: any[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData) => this.messages.push(JSON.parse(data.toString())));
  }
  static async open(secret: string): Promise<Recorder> {
    return new Recorder(await openSocket(`${base}/${secret}`));
  }
  // biome-ignore lint/suspicious/noExplicitAny: tests read messages by path.
  async send(id: number, method: string, params: unknown[] = []): Promise<any> {
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    let found: unknown;
    await waitFor(`the answer to ${id}`, () => {
      found = this.messages.find((message) => message.id === id);
      return found !== undefined;
    });
    return found;
  }
  // biome-ignore lint/suspicious/noExplicitAny: tests read messages by path.
  notes(subscription: string): any[] {
    return this.messages.filter((message) => message.params?.subscription === subscription);
  }
  async close(): Promise<void> {
    const done = closed(this.ws);
    this.ws.close();
    await done;
  }
}

const mine = (blocks: number) => call(anvil.url, 'anvil_mine', [`0x${blocks.toString(16)}`]);

async function usageOf(keyId: string, method: string) {
  const rows = await store.queryUsage({ keyId, groupBy: ['method', 'outcome'] });
  return rows.find((row) => row.method === method && row.outcome === 'ok');
}

describe('notifications metered in compute units', () => {
  it('records each notification as eth_subscription at the plan’s price, flushed when the socket closes', async () => {
    const plan = await store.createPlan({ name: 'priced', computeUnits: { eth_subscription: 7 } });
    const project = await store.createProject({ name: 'metered', planId: plan.id });
    const { key, secret } = await store.createKey({ projectId: project.id });
    const socket = await Recorder.open(secret);
    const { result: id } = await socket.send(1, 'eth_subscribe', ['newHeads']);
    await mine(5);
    await waitFor('5 heads', () => socket.notes(id).length >= 5);
    await socket.close();
    const sent = socket.notes(id).length;
    await expect
      .poll(() => usageOf(key.id, 'eth_subscription'), { timeout: 5_000 })
      .toMatchObject({
        requests: sent,
        computeUnits: 7 * sent,
      });
    const row = await usageOf(key.id, 'eth_subscription');
    expect(row?.bytes).toBeGreaterThan(sent * 500);
    // eth_subscribe itself is a request like any other.
    expect(await usageOf(key.id, 'eth_subscribe')).toMatchObject({ requests: 1 });
  });

  it('ends the subscription with a 402 error notification when the credits cannot pay the next one', async () => {
    const plan = await store.createPlan({
      name: 'prepaid',
      computeUnits: { eth_subscription: 10, eth_subscribe: 10 },
    });
    // eth_subscribe (10) and three notifications (30): the fourth cannot be paid.
    const project = await store.createProject({ name: 'prepaid', planId: plan.id, credits: 40 });
    const { key, secret } = await store.createKey({ projectId: project.id });
    const socket = await Recorder.open(secret);
    const { result: id } = await socket.send(1, 'eth_subscribe', ['newHeads']);
    await mine(6);
    await waitFor('the error notification', () => socket.notes(id).some((note) => note.params.error));
    const notes = socket.notes(id);
    const heads = notes.filter((note) => note.params.result !== undefined);
    expect(heads).toHaveLength(3);
    const last = notes.at(-1);
    expect(last.params.error.code).toBe(-32002);
    expect(last.params.error.data.code).toBe('ERR_CREDITS_EXHAUSTED');
    // Nothing more for that id, and the socket stays open (requests get their own 402).
    await mine(3);
    const refused = await socket.send(2, 'eth_blockNumber');
    expect(refused.error.data.code).toBe('ERR_CREDITS_EXHAUSTED');
    expect(socket.notes(id)).toHaveLength(notes.length);
    await socket.close();
    await expect
      .poll(() => usageOf(key.id, 'eth_subscription'), { timeout: 5_000 })
      .toMatchObject({ requests: 3, computeUnits: 30 });
    await expect.poll(async () => (await store.getProject(project.id))?.credits, { timeout: 5_000 }).toBe(0);
  });
});

describe('eth_subscribe under the key’s limits', () => {
  it('spends a rate-limit token: refused with 429 on an open socket once the bucket is empty', async () => {
    const plan = await store.createPlan({ name: 'slow', rateLimit: { perSecond: 0.01, burst: 2 } });
    const project = await store.createProject({ name: 'slow', planId: plan.id });
    const { secret } = await store.createKey({ projectId: project.id });
    const socket = await Recorder.open(secret);
    const first = await socket.send(1, 'eth_subscribe', ['newHeads']);
    const second = await socket.send(2, 'eth_subscribe', ['logs', {}]);
    const third = await socket.send(3, 'eth_subscribe', ['newHeads']);
    expect(first.result).toMatch(/^0x[0-9a-f]{32}$/);
    expect(second.result).toMatch(/^0x[0-9a-f]{32}$/);
    expect(third.error.code).toBe(-32005);
    expect(third.error.data.code).toBe('ERR_RATE_LIMITED');
    // The refused one holds nothing: two subscriptions, and the socket is still served.
    expect(gateway.realtime!.feedOf('anvil')!.get(first.result)).toBeDefined();
    await socket.close();
  });

  it('is refused with 403 when the plan denies it, and the socket stays open', async () => {
    const plan = await store.createPlan({ name: 'no-logs-subs', allowedMethods: ['eth_chainId'] });
    const project = await store.createProject({ name: 'no-subs', planId: plan.id });
    const { secret } = await store.createKey({ projectId: project.id });
    const socket = await Recorder.open(secret);
    const refused = await socket.send(1, 'eth_subscribe', ['newHeads']);
    expect(refused.error.code).toBe(-32003);
    expect(refused.error.data.code).toBe('ERR_METHOD_NOT_ALLOWED');
    expect((await socket.send(2, 'eth_chainId')).result).toBe('0x7a69');
    await socket.close();
  });
});

describe('metrics', () => {
  it('counts notifications by kind, backfilled blocks, reorgs and reorg notifications on /metrics', async () => {
    // A gateway of its own, keyless, whose tracker polls slowly: a head that jumps 600 blocks
    // between two polls passes the tracker's window (256), so it starts a new window a few
    // blocks below the head and the feed reads the heights in between itself.
    const node = await startAnvil();
    await call(node.url, 'anvil_setCode', [A, EMITTER_CODE]);
    const slow = createGateway({
      logging: { level: 'silent' },
      networks: {
        anvil: { upstreams: [{ url: node.url }], cache: { finality: 'depth', depth: 5, headPollMs: 1_000 } },
      },
    });
    try {
      const { port } = await slow.listen(0, '127.0.0.1');
      const socket = new Recorder(await openSocket(`ws://127.0.0.1:${port}/anvil`));
      const { result: heads } = await socket.send(1, 'eth_subscribe', ['newHeads']);
      const { result: logs } = await socket.send(2, 'eth_subscribe', ['logs', { address: A }]);
      await call(node.url, 'anvil_mine', ['0x258']);
      await waitFor('600 heads', () => socket.notes(heads).length >= 600);
      // A log, then a reorg that orphans its block: it is sent again with removed: true.
      const snapshot = await call(node.url, 'evm_snapshot');
      await emit(node.url, A, T1, T2);
      await waitFor('the log', () => socket.notes(logs).length === 1);
      await call(node.url, 'evm_revert', [snapshot]);
      await call(node.url, 'anvil_mine', ['0x3']);
      await waitFor('the removed log', () => socket.notes(logs).some((note) => note.params.result.removed));
      await socket.close();
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const value = (series: string) => {
        const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
        return line === undefined ? undefined : Number(line.slice(series.length + 1));
      };
      expect(value('turnpike_realtime_notifications_total{kind="newHeads"}')).toBe(
        socket.notes(heads).length,
      );
      expect(value('turnpike_realtime_notifications_total{kind="logs"}')).toBe(2);
      expect(value('turnpike_realtime_backfilled_blocks_total')).toBeGreaterThan(500);
      expect(value('turnpike_realtime_reorgs_total')).toBe(1);
      expect(value('turnpike_realtime_reorg_notifications_total')).toBe(1);
    } finally {
      await slow.close(1_000);
      await node.stop();
    }
  });
});

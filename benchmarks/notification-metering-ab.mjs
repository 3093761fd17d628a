// Same-run A/B of metering WebSocket notifications (docs/websocket.md "Metering"): one gateway
// (a child process, tenancy on, SQLite) in front of anvil serves two arms on the same network and
// the same subscription feed — sockets with an API key (every notification reserved on the
// project's account and flushed to the usage meter each sweep) and keyless sockets (not
// metered). Rounds alternate arms; each round subscribes SOCKETS × SUBS newHeads, mines BLOCKS
// blocks one at a time, waits for every notification, and reads the gateway's CPU time
// (process.cpuUsage over IPC). Prints notifications per CPU-second of the gateway per arm (best
// round) and the ratio metered / unmetered.
//
//   npm run build && node benchmarks/notification-metering-ab.mjs [sockets=200] [subs=50] [blocks=10] [rounds=6]

import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

async function main() {
  const sockets = Number(process.argv[2] ?? 200);
  const subs = Number(process.argv[3] ?? 50);
  const blocks = Number(process.argv[4] ?? 10);
  const rounds = Number(process.argv[5] ?? 6);
  const { startAnvil } = await import('../dist/dev/anvil.js');
  const anvil = await startAnvil();
  const dir = mkdtempSync(join(tmpdir(), 'turnpike-metering-ab-'));
  const child = fork(new URL(import.meta.url).pathname, ['--gateway', anvil.url, join(dir, 'turnpike.db')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = (message) =>
    new Promise((resolve) => {
      child.once('message', resolve);
      child.send(message);
    });
  const { port, secret } = await new Promise((resolve) => child.once('message', resolve));
  const rpc = (method, params = []) =>
    fetch(anvil.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    }).then((res) => res.json());

  const arms = {
    metered: await openAll(`ws://127.0.0.1:${port}/anvil/${secret}`, sockets),
    unmetered: await openAll(`ws://127.0.0.1:${port}/anvil`, sockets),
  };
  const results = { metered: [], unmetered: [] };
  for (let round = 0; round < rounds; round++) {
    for (const arm of round % 2 === 0 ? ['metered', 'unmetered'] : ['unmetered', 'metered']) {
      const clients = arms[arm];
      await Promise.all(clients.map((client) => client.subscribe(subs)));
      await sleep(300); // the subscriptions are live; the last subscribe answers are out
      for (const client of clients) client.received = 0;
      const before = await ask('cpu');
      for (let i = 0; i < blocks; i++) {
        await rpc('evm_mine');
        const want = (i + 1) * subs;
        const deadline = Date.now() + 30_000;
        while (clients.some((client) => client.received < want)) {
          if (Date.now() > deadline) {
            const short = clients.filter((client) => client.received < want).length;
            throw new Error(`${arm}: ${short} sockets short of ${want} notifications after 30 s`);
          }
          await sleep(2);
        }
      }
      const after = await ask('cpu');
      const cpuSeconds = (after.user + after.system - before.user - before.system) / 1e6;
      const notifications = blocks * subs * sockets;
      results[arm].push(notifications / cpuSeconds);
      await Promise.all(clients.map((client) => client.unsubscribeAll()));
    }
  }
  const best = (list) => Math.max(...list);
  const summary = {
    sockets,
    subscriptionsPerSocket: subs,
    blocksPerRound: blocks,
    notificationsPerRound: blocks * subs * sockets,
    meteredPerCpuSecond: Math.round(best(results.metered)),
    unmeteredPerCpuSecond: Math.round(best(results.unmetered)),
    ratio: Number((best(results.metered) / best(results.unmetered)).toFixed(3)),
    rounds: { metered: results.metered.map(Math.round), unmetered: results.unmetered.map(Math.round) },
  };
  console.log(JSON.stringify(summary, null, 2));
  for (const client of [...arms.metered, ...arms.unmetered]) client.ws.close();
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));
  await anvil.stop();
  rmSync(dir, { recursive: true, force: true });
}

async function openAll(url, count) {
  const clients = [];
  for (let i = 0; i < count; i++) clients.push(await Client.open(url));
  return clients;
}

class Client {
  received = 0;
  ids = [];
  nextId = 1;
  pending = new Map();
  constructor(ws) {
    this.ws = ws;
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('{"jsonrpc":"2.0","method":"eth_subscription"')) {
        this.received++;
        return;
      }
      const message = JSON.parse(text);
      this.pending.get(message.id)?.(message);
      this.pending.delete(message.id);
    });
  }
  static open(url) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new Client(ws)));
      ws.once('error', reject);
    });
  }
  call(method, params) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }
  async subscribe(count) {
    const answers = await Promise.all(
      Array.from({ length: count }, () => this.call('eth_subscribe', ['newHeads'])),
    );
    this.ids = answers.map((answer) => {
      if (answer.error !== undefined) throw new Error(JSON.stringify(answer.error));
      return answer.result;
    });
  }
  async unsubscribeAll() {
    await Promise.all(this.ids.map((id) => this.call('eth_unsubscribe', [id])));
    this.ids = [];
  }
}

async function gatewayChild(anvilUrl, database) {
  const { createGateway } = await import('../dist/gateway.js');
  const { openDatabase } = await import('../dist/store/database.js');
  const { SqlTenancyStore } = await import('../dist/tenancy/sql-tenancy-store.js');
  const db = await openDatabase({ database });
  const store = new SqlTenancyStore(db);
  const plan = await store.createPlan({ name: 'bench' });
  const project = await store.createProject({ name: 'bench', planId: plan.id, credits: 1e12 });
  const { secret } = await store.createKey({ projectId: project.id });
  await db.close();
  const gateway = createGateway({
    logging: { level: 'warn' },
    storage: { database },
    tenancy: { enabled: true },
    realtime: {
      maxConnectionsPerIp: 100_000,
      maxConnectionsPerKey: 100_000,
      maxSubscriptionsPerConnection: 1_000,
    },
    networks: {
      anvil: {
        upstreams: [{ url: anvilUrl }],
        access: { keyless: true },
        cache: { finality: 'depth', depth: 5, headPollMs: 20 },
      },
    },
  });
  const { port } = await gateway.listen(0, '127.0.0.1');
  process.on('message', async (message) => {
    if (message === 'cpu') process.send(process.cpuUsage());
    if (message === 'stop') {
      await gateway.close(1_000);
      process.exit(0);
    }
  });
  // The parent died: nothing is left to measure.
  process.on('disconnect', () => process.exit(0));
  process.send({ port, secret });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (process.argv[2] === '--gateway') await gatewayChild(process.argv[3], process.argv[4]);
else await main();

// The lagging-replica mix: three upstreams of one chain, one of them 2 blocks behind (the lagging
// replica of test/support/lagging-replica.ts in front of the same anvil). Clients that learned of a
// new block or transaction elsewhere (here: from anvil itself, just before) ask the gateway about
// it; an answer that does not have it (`null` block, `null` receipt, fewer logs than the chain
// has) is stale. Two gateways run side by side over the same chain and time: notYetRetry off and
// on. Prints the stale counts (goal: 0 with the feature on).
//
//   node --import tsx benchmarks/consistency-lagging-mix.mjs
//
// Env: MIX_SECONDS (20), MIX_CLIENTS (4 per gateway), MIX_LAG (2), MIX_PROBE_MS (500: the gateways'
// health.probeIntervalMs, how stale their knowledge of upstream heads may be), MIX_DELAY_MS (10:
// network delay before each upstream, through the fault proxy).

import { startAnvil } from '../src/dev/anvil.ts';
import { createGateway } from '../src/gateway.ts';
import { startFaultProxy } from '../test/support/fault-proxy.ts';
import { startLaggingReplica } from '../test/support/lagging-replica.ts';

const seconds = Number(process.env.MIX_SECONDS ?? 20);
const clients = Number(process.env.MIX_CLIENTS ?? 4);
const lag = Number(process.env.MIX_LAG ?? 2);
const probeMs = Number(process.env.MIX_PROBE_MS ?? 500);
const ACCOUNT = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const EMITTER = `0x${'e7'.repeat(20)}`;

async function call(url, method, params = []) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = await res.json();
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

const anvil = await startAnvil({ blockTime: 1 });
await call(anvil.url, 'anvil_setCode', [EMITTER, '0x60203560003560006000a200']);
await call(anvil.url, 'anvil_mine', ['0xa']);
const replica = await startLaggingReplica(anvil.url, { lag });
// The same network delay before every upstream, so the replica's own overhead (it asks anvil for
// the head first) does not make selection avoid it: a lagging node is not always a slow one.
const delay = { kind: 'latency', ms: Number(process.env.MIX_DELAY_MS ?? 10) };
const proxies = await Promise.all([anvil.url, anvil.url, replica.url].map((url) => startFaultProxy(url)));
for (const proxy of proxies) proxy.setFault(delay);

async function gateway(on) {
  const gw = createGateway({
    logging: { level: 'silent' },
    networks: {
      anvil: {
        chainId: 31337,
        cache: { enabled: false },
        health: { probeIntervalMs: probeMs },
        notYetRetry: { enabled: on },
        upstreams: [
          { id: 'node-a', url: proxies[0].url },
          { id: 'node-b', url: proxies[1].url },
          { id: 'lagging', url: proxies[2].url },
        ],
      },
    },
  });
  const { url } = await gw.listen(0, '127.0.0.1');
  return { gw, url: `${url}/anvil` };
}

const gateways = { off: await gateway(false), on: await gateway(true) };
const hex = (n) => `0x${n.toString(16)}`;
let stop = false;
let lastMined;

// One transaction with a log every 250 ms; blocks come every second.
const sender = (async () => {
  let index = 0;
  while (!stop) {
    const data = `0x${'01'.repeat(32)}${(index++).toString(16).padStart(64, '0')}`;
    const hash = await call(anvil.url, 'eth_sendTransaction', [
      { from: ACCOUNT, to: EMITTER, data, gas: '0x186a0' },
    ]);
    void hash;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
})();
// The newest transaction anvil has mined (what a client would have just heard of).
const watcher = (async () => {
  while (!stop) {
    const head = await call(anvil.url, 'eth_getBlockByNumber', ['latest', false]);
    if (head.transactions.length > 0) lastMined = head.transactions.at(-1);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
})();

const WORKLOADS = {
  'block by number': async (url) => {
    const n = Number.parseInt(await call(anvil.url, 'eth_blockNumber'), 16);
    return (await call(url, 'eth_getBlockByNumber', [hex(n), false])) === null;
  },
  receipt: async (url) => {
    if (lastMined === undefined) return undefined;
    return (await call(url, 'eth_getTransactionReceipt', [lastMined])) === null;
  },
  'logs of the last 2 blocks': async (url) => {
    const n = Number.parseInt(await call(anvil.url, 'eth_blockNumber'), 16);
    const filter = { address: EMITTER, fromBlock: hex(n - 1), toBlock: hex(n) };
    const truth = await call(anvil.url, 'eth_getLogs', [filter]);
    return (await call(url, 'eth_getLogs', [filter])).length < truth.length;
  },
};

const counts = Object.fromEntries(
  Object.keys(WORKLOADS).map((w) => [w, { off: { asked: 0, stale: 0 }, on: { asked: 0, stale: 0 } }]),
);
const errors = { off: 0, on: 0 };
const ends = Date.now() + seconds * 1_000;
const names = Object.keys(WORKLOADS);
await Promise.all(
  Object.entries(gateways).flatMap(([name, { url }]) =>
    Array.from({ length: clients }, async (_, client) => {
      for (let i = client; Date.now() < ends; i++) {
        const workload = names[i % names.length];
        try {
          const stale = await WORKLOADS[workload](url);
          if (stale === undefined) continue;
          counts[workload][name].asked++;
          if (stale) counts[workload][name].stale++;
        } catch {
          errors[name]++;
        }
      }
    }),
  ),
);
stop = true;
await Promise.all([sender, watcher]).catch(() => undefined);

console.log(
  `lagging-replica mix: 3 upstreams, one ${lag} blocks behind; ${seconds} s, ${clients} clients per gateway`,
);
console.log('workload                    | off: asked  stale | on: asked  stale');
for (const [workload, { off, on }] of Object.entries(counts))
  console.log(
    `${workload.padEnd(27)} | ${String(off.asked).padStart(10)} ${String(off.stale).padStart(6)} | ${String(on.asked).padStart(9)} ${String(on.stale).padStart(6)}`,
  );
console.log(
  `errors: off ${errors.off}, on ${errors.on}; answers the replica held back: ${replica.stats.heldBack}`,
);
for (const { gw } of Object.values(gateways)) await gw.close(1_000);
for (const proxy of proxies) await proxy.close();
await replica.close();
await anvil.stop();

// The lagging-replica mix: three upstreams of one chain, one of them 2 blocks behind (the lagging
// replica of test/support/lagging-replica.ts in front of the same anvil). Clients that learned of a
// new block or transaction elsewhere (here: from anvil itself, just before) ask the gateway about
// it; an answer that does not have it (`null` block, `null` receipt, fewer logs than the chain
// has) is "not found". Each client is also a session (X-Turnpike-Session) that reads `latest`
// (eth_blockNumber, eth_getBlockByNumber latest, eth_getBalance latest of the busy sender) and
// sends its own signed transfers through the gateway, then asks for their receipts once anvil has
// mined them; a `latest` answer behind one the session was already given (a lower block number, or
// the sender's balance going back up) is "stale". Two gateways run side by side over the same
// chain and time, everything off vs everything on. Prints both counts (goal: 0 with it on).
//
//   node --import tsx benchmarks/consistency-lagging-mix.mjs
//   MIX_MODE=not-yet node --import tsx benchmarks/consistency-lagging-mix.mjs
//
// MIX_MODE: `all` (default: consistency.enabled + notYetRetry on vs both off) or `not-yet`
// (notYetRetry on vs off, consistency off in both: part A's comparison).
//
// Env: MIX_SECONDS (20), MIX_CLIENTS (4 per gateway), MIX_LAG (2), MIX_PROBE_MS (500: the gateways'
// health.probeIntervalMs, how stale their knowledge of upstream heads may be), MIX_DELAY_MS (10:
// network delay before each upstream, through the fault proxy). MIX_CLIENTS is at most 4: each
// client sends from its own anvil account (1–8).

import { parseGwei } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { startAnvil } from '../src/dev/anvil.ts';
import { createGateway } from '../src/gateway.ts';
import { startFaultProxy } from '../test/support/fault-proxy.ts';
import { startLaggingReplica } from '../test/support/lagging-replica.ts';

const seconds = Number(process.env.MIX_SECONDS ?? 20);
const clients = Number(process.env.MIX_CLIENTS ?? 4);
const lag = Number(process.env.MIX_LAG ?? 2);
const probeMs = Number(process.env.MIX_PROBE_MS ?? 500);
const mode = process.env.MIX_MODE ?? 'all';
if (mode !== 'all' && mode !== 'not-yet') throw new Error(`MIX_MODE: expected all or not-yet, got ${mode}`);
if (clients > 4) throw new Error('MIX_CLIENTS: at most 4 (each client needs its own anvil account)');
const MNEMONIC = 'test test test test test test test test test test test junk';
const RECIPIENT = '0x000000000000000000000000000000000000dEaD';
const ACCOUNT = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const EMITTER = `0x${'e7'.repeat(20)}`;

async function call(url, method, params = [], session) {
  const headers = { 'content-type': 'application/json' };
  if (session !== undefined) headers['x-turnpike-session'] = session;
  const res = await fetch(url, {
    method: 'POST',
    headers,
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
    consistency: { enabled: mode === 'all' && on },
    networks: {
      anvil: {
        chainId: 31337,
        cache: { enabled: false },
        health: { probeIntervalMs: probeMs },
        notYetRetry: { enabled: on },
        logSplit: { enabled: mode === 'not-yet' || on },
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

// Each client: its session name, its own sending account and nonce, the newest `latest` it was
// given (block number, and the busy sender's balance, which only goes down).
function clientState(gatewayIndex, client) {
  const account = mnemonicToAccount(MNEMONIC, { addressIndex: 1 + gatewayIndex * 4 + client });
  return { session: `mix-${client}`, account, nonce: undefined, head: -1, balance: undefined };
}
const moved = (state, n) => {
  const back = n < state.head;
  if (n > state.head) state.head = n;
  return back;
};

// Each workload returns undefined (nothing asked), or { kind: 'stale' | 'not found' | 'ok' }.
const WORKLOADS = {
  'latest reads (session)': async (url, state, i) => {
    const which = i % 3;
    if (which === 0) {
      const n = Number.parseInt(await call(url, 'eth_blockNumber', [], state.session), 16);
      return moved(state, n) ? 'stale' : 'ok';
    }
    if (which === 1) {
      const block = await call(url, 'eth_getBlockByNumber', ['latest', false], state.session);
      if (block === null) return 'not found';
      return moved(state, Number.parseInt(block.number, 16)) ? 'stale' : 'ok';
    }
    const balance = BigInt(await call(url, 'eth_getBalance', [ACCOUNT, 'latest'], state.session));
    const back = state.balance !== undefined && balance > state.balance;
    if (state.balance === undefined || balance < state.balance) state.balance = balance;
    return back ? 'stale' : 'ok';
  },
  'block by recent number': async (url, state) => {
    const n = Number.parseInt(await call(anvil.url, 'eth_blockNumber'), 16);
    return (await call(url, 'eth_getBlockByNumber', [hex(n), false], state.session)) === null
      ? 'not found'
      : 'ok';
  },
  'receipt (heard elsewhere)': async (url, state) => {
    if (lastMined === undefined) return undefined;
    const receipt = await call(url, 'eth_getTransactionReceipt', [lastMined], state.session);
    return receipt === null ? 'not found' : 'ok';
  },
  'receipt of own send': async (url, state) => {
    state.nonce ??= Number.parseInt(
      await call(anvil.url, 'eth_getTransactionCount', [state.account.address, 'latest']),
      16,
    );
    const raw = await state.account.signTransaction({
      chainId: 31337,
      type: 'eip1559',
      to: RECIPIENT,
      value: 1n,
      nonce: state.nonce++,
      gas: 21_000n,
      maxFeePerGas: parseGwei('20'),
      maxPriorityFeePerGas: parseGwei('1'),
    });
    const hash = await call(url, 'eth_sendRawTransaction', [raw], state.session);
    // Ask the gateway once anvil has mined it (a client that waited for its block).
    while ((await call(anvil.url, 'eth_getTransactionReceipt', [hash])) === null)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const receipt = await call(url, 'eth_getTransactionReceipt', [hash], state.session);
    return receipt === null ? 'not found' : 'ok';
  },
  'logs of the last 2 blocks': async (url, state) => {
    const n = Number.parseInt(await call(anvil.url, 'eth_blockNumber'), 16);
    const filter = { address: EMITTER, fromBlock: hex(n - 1), toBlock: hex(n) };
    const truth = await call(anvil.url, 'eth_getLogs', [filter]);
    return (await call(url, 'eth_getLogs', [filter], state.session)).length < truth.length
      ? 'not found'
      : 'ok';
  },
};

const tally = () => ({ asked: 0, stale: 0, notFound: 0 });
const counts = Object.fromEntries(Object.keys(WORKLOADS).map((w) => [w, { off: tally(), on: tally() }]));
const errors = { off: 0, on: 0 };
const ends = Date.now() + seconds * 1_000;
const names = Object.keys(WORKLOADS);
await Promise.all(
  Object.entries(gateways).flatMap(([name, { url }], gatewayIndex) =>
    Array.from({ length: clients }, async (_, client) => {
      const state = clientState(gatewayIndex, client);
      for (let i = client; Date.now() < ends; i++) {
        const workload = names[i % names.length];
        try {
          const outcome = await WORKLOADS[workload](url, state, Math.floor(i / names.length));
          if (outcome === undefined) continue;
          const count = counts[workload][name];
          count.asked++;
          if (outcome === 'stale') count.stale++;
          if (outcome === 'not found') count.notFound++;
        } catch (error) {
          errors[name]++;
          if (process.env.MIX_VERBOSE) console.error(name, workload, error.message);
        }
      }
    }),
  ),
);
stop = true;
await Promise.all([sender, watcher]).catch(() => undefined);

const compared = mode === 'all' ? 'consistency + notYetRetry' : 'notYetRetry';
console.log(
  `lagging-replica mix (${compared} off vs on): 3 upstreams, one ${lag} blocks behind; ${seconds} s, ${clients} clients per gateway`,
);
const cells = (c) =>
  `${String(c.asked).padStart(6)} ${String(c.stale).padStart(6)} ${String(c.notFound).padStart(6)}`;
console.log('workload                    |  off: asked  stale   null |   on: asked  stale   null');
const total = { off: tally(), on: tally() };
for (const [workload, { off, on }] of Object.entries(counts)) {
  for (const [side, c] of [
    ['off', off],
    ['on', on],
  ])
    for (const k of ['asked', 'stale', 'notFound']) total[side][k] += c[k];
  console.log(`${workload.padEnd(27)} |      ${cells(off)} |      ${cells(on)}`);
}
console.log(`${'total'.padEnd(27)} |      ${cells(total.off)} |      ${cells(total.on)}`);
console.log(
  `errors: off ${errors.off}, on ${errors.on}; answers the replica held back: ${replica.stats.heldBack}`,
);
for (const { gw } of Object.values(gateways)) await gw.close(1_000);
for (const proxy of proxies) await proxy.close();
await replica.close();
await anvil.stop();

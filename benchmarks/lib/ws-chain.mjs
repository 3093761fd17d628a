// The chain side of `bench:ws`: anvil with a contract that emits K logs per call, a miner that
// makes one block of K logs per tick, a reference subscriber on anvil's own WebSocket (when anvil
// announced each block), and the truth read back from anvil after the run.
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { startAnvil } from './anvil-chain.mjs';
import { rpc, rpcBatch } from './chain-payloads.mjs';
import { assemble } from './evm-asm.mjs';

/** topic0 of every log (any constant word: the filters name it). */
export const EVENT_TOPIC = `0x${'b1'.repeat(32)}`;
/** Where the emitter's code is installed (anvil_setCode: no deployment transaction). */
export const EMITTER_ADDRESS = '0x00000000000000000000000000000000000b3c45';

/** calldata word 0 = n: emits n logs LOG2(topic0 = EVENT, topic1 = n, n-1, …, 1; data = block number). */
const EMITTER = assemble(`
  PUSH1 00 CALLDATALOAD
  loop: JUMPDEST
  DUP1 ISZERO PUSH2 @end JUMPI
  NUMBER PUSH1 00 MSTORE
  DUP1 PUSH32 ${EVENT_TOPIC.slice(2)} PUSH1 20 PUSH1 00 LOG2
  PUSH1 01 SWAP1 SUB
  PUSH2 @loop JUMP
  end: JUMPDEST STOP
`);

const now = () => performance.timeOrigin + performance.now();
const word = (n) => `0x${n.toString(16).padStart(64, '0')}`;
const hex = (n) => `0x${n.toString(16)}`;

/** anvil on a free port with the emitter installed and automine off (blocks come from `mineOne`). */
export async function startChain() {
  const anvil = await startAnvil();
  await rpc(anvil.url, 'anvil_setCode', [EMITTER_ADDRESS, EMITTER]);
  await rpc(anvil.url, 'evm_setAutomine', [false]);
  const [from] = await rpc(anvil.url, 'eth_accounts');
  const wsUrl = anvil.url.replace(/^http/, 'ws');
  return {
    ...anvil,
    wsUrl,
    head: async () => Number.parseInt(await rpc(anvil.url, 'eth_blockNumber'), 16),
    /** One block holding one transaction that emits `logs` logs. */
    async mineOne(logs) {
      await rpc(anvil.url, 'eth_sendTransaction', [
        { from, to: EMITTER_ADDRESS, data: word(logs), gas: hex(60_000 + logs * 3_000) },
      ]);
      await rpc(anvil.url, 'evm_mine');
    },
  };
}

/**
 * The logs filters of `bench:ws`: `match` of the K logs of each block (topic1 = 1…K). Filter f
 * names the topic1 values f+1 … f+k (mod K), so the filters differ but each matches k logs a
 * block; `match >= 1` names the address alone.
 */
export function logFilters(logsPerBlock, match) {
  if (match >= 1) return [{ address: EMITTER_ADDRESS }];
  const k = Math.max(1, Math.round(match * logsPerBlock));
  return Array.from({ length: Math.min(logsPerBlock, 100) }, (_, f) => ({
    address: EMITTER_ADDRESS,
    topics: [EVENT_TOPIC, Array.from({ length: k }, (_, j) => word(((f + j) % logsPerBlock) + 1))],
  }));
}

/** Mines a block every `intervalMs` (absolute schedule) until `stop()`; resolves with what it mined. */
export function startMiner(chain, { intervalMs, logsPerBlock }) {
  let stopped = false;
  let mined = 0;
  const start = performance.now();
  const done = (async () => {
    for (let tick = 1; !stopped; tick++) {
      await chain.mineOne(logsPerBlock);
      mined++;
      const wait = start + tick * intervalMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    return mined;
  })();
  return {
    stop() {
      stopped = true;
      return done;
    },
  };
}

/** One newHeads subscriber on anvil's own WebSocket: when anvil announced each block. */
export async function referenceClient(wsUrl) {
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const announced = new Map();
  ws.on('message', (data) => {
    const at = now();
    const message = JSON.parse(data.toString());
    const head = message.params?.result;
    if (head?.number !== undefined) announced.set(Number.parseInt(head.number, 16), { at, hash: head.hash });
  });
  ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
  return { announced, close: () => ws.terminate() };
}

/** The truth of blocks first…last: their hashes and every log's (blockNumber, topic1). */
export async function readTruth(url, first, last) {
  const hashes = new Map();
  const numbers = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  for (let i = 0; i < numbers.length; i += 200) {
    const blocks = await rpcBatch(
      url,
      numbers.slice(i, i + 200).map((n) => ['eth_getBlockByNumber', [hex(n), false]]),
    );
    for (const block of blocks) hashes.set(Number.parseInt(block.number, 16), block.hash);
  }
  const logs = await rpc(url, 'eth_getLogs', [
    { address: EMITTER_ADDRESS, fromBlock: hex(first), toBlock: hex(last) },
  ]);
  return {
    hashes,
    logs: logs.map((log) => [Number.parseInt(log.blockNumber, 16), log.topics[1].toLowerCase()]),
  };
}

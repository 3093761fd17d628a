// A local anvil with history, for the cache benchmark: a few hundred blocks holding value
// transfers and calls to a tiny contract, so historical reads (blocks, balances, eth_call,
// receipts) have real content. A seeded PRNG makes the chain the same on every run.
import { anvilBinary, rpc, rpcBatch } from './chain-payloads.mjs';
import { startChild } from './children.mjs';
import { assemble, deployCode } from './evm-asm.mjs';
import { freePort } from './ports.mjs';

/**
 * `f(x)` = block.number + x (x = the first calldata word after the selector): an eth_call whose
 * answer depends on the block it runs at, like a balanceOf at a height.
 */
const AT_BLOCK = assemble(`
  PUSH1 04 CALLDATALOAD NUMBER ADD
  PUSH1 00 MSTORE
  PUSH1 20 PUSH1 00 RETURN
`);
/** Any 4-byte selector: the contract ignores it. */
const SELECTOR = '70a08231';

/** mulberry32: a small seeded PRNG. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (n) => `0x${n.toString(16)}`;

/** Starts anvil on a free port (instant mining until told otherwise); resolves once it listens. */
export async function startAnvil() {
  const port = await freePort();
  // `--order fifo`: a sender's transactions are mined in nonce order within a block.
  const child = await startChild(
    'anvil',
    anvilBinary(),
    ['--host', '127.0.0.1', '--port', String(port), '--silent', '--order', 'fifo'],
    { ready: null },
  );
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await rpc(url, 'eth_chainId');
      break;
    } catch (err) {
      if (child.exited) throw new Error(`anvil exited: ${child.tail.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`anvil not answering ${url}: ${err.message}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return { child, url };
}

/**
 * Mines `blocks` blocks of 1–4 transactions each (value transfers from the dev accounts to a pool
 * of recipients, and calls to the AT_BLOCK contract), then leaves automine off: the chain stays
 * still until `startBlockTime` is called. Returns what the request sets are drawn from.
 */
export async function fillChain(url, { blocks = 200, seed = 20_261_122 } = {}) {
  const next = prng(seed);
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const word = (n) => n.toString(16).padStart(64, '0');
  const accounts = await rpc(url, 'eth_accounts');
  const recipients = Array.from(
    { length: 40 },
    (_, i) => `0x${(BigInt(0xbeef0000 + i) * 0x1000193n).toString(16).padStart(40, '0')}`,
  );
  const nonces = new Map(accounts.map((account) => [account, 0]));
  const nonceOf = (account) => {
    const nonce = nonces.get(account);
    nonces.set(account, nonce + 1);
    return hex(nonce);
  };

  await rpc(url, 'evm_setAutomine', [false]);
  const deploy = await rpc(url, 'eth_sendTransaction', [
    { from: accounts[0], nonce: nonceOf(accounts[0]), data: deployCode(AT_BLOCK), gas: '0x100000' },
  ]);
  await rpc(url, 'evm_mine');
  const contract = (await rpc(url, 'eth_getTransactionReceipt', [deploy])).contractAddress;

  const txs = [];
  for (let b = 0; b < blocks; b++) {
    const count = int(1, 4);
    // Distinct senders within a block, nonces tracked here: no ordering surprises.
    const senders = [...accounts].sort(() => next() - 0.5).slice(0, count);
    const batch = senders.map((from) => {
      const tx = {
        from,
        nonce: nonceOf(from),
        gas: '0x30000',
        maxFeePerGas: hex(30e9),
        maxPriorityFeePerGas: hex(1e9),
      };
      if (next() < 0.7)
        return [
          'eth_sendTransaction',
          [{ ...tx, to: recipients[int(0, 39)], value: hex(int(1, 1e6) * 1e9) }],
        ];
      return ['eth_sendTransaction', [{ ...tx, to: contract, data: `0x${SELECTOR}${word(int(1, 1e9))}` }]];
    });
    const hashes = await rpcBatch(url, batch);
    await rpc(url, 'evm_mine');
    const number = Number.parseInt(await rpc(url, 'eth_blockNumber'), 16);
    for (const hash of hashes) txs.push({ hash, block: number });
  }
  const head = Number.parseInt(await rpc(url, 'eth_blockNumber'), 16);
  const mined = await rpcBatch(
    url,
    txs.slice(0, 3).map(({ hash }) => ['eth_getTransactionReceipt', [hash]]),
  );
  if (mined.some((receipt) => receipt === null || receipt.status !== '0x1'))
    throw new Error('anvil did not mine the benchmark transactions');
  return { head, contract, accounts, recipients, txs, firstBlock: head - blocks + 1 };
}

/** From now on anvil mines a block every `seconds` (as `anvil --block-time`), empty or not. */
export async function startBlockTime(url, seconds) {
  await rpc(url, 'evm_setIntervalMining', [seconds]);
}

const body = (method, params) => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });

/**
 * `count` distinct historical requests at blocks up to `maxBlock` (final for the gateway), spread
 * round-robin over `kinds`: `block` (eth_getBlockByNumber(n, false)), `balance`
 * (eth_getBalance(addr, n)), `call` (eth_call at n), `receipt` (eth_getTransactionReceipt).
 */
export function historicalRequests(chain, { count, maxBlock, kinds, seed = 7 }) {
  const next = prng(seed);
  const from = chain.firstBlock;
  const blocks = maxBlock - from + 1;
  if (blocks < 1) throw new Error(`no final blocks to read (first ${from}, final ≤ ${maxBlock})`);
  const finalTxs = chain.txs.filter((tx) => tx.block <= maxBlock);
  const holders = [...chain.accounts, ...chain.recipients];
  const seen = new Set();
  const out = [];
  for (let i = 0; out.length < count; i++) {
    if (i > count * 50) throw new Error(`only ${out.length} distinct historical requests of ${count}`);
    const kind = kinds[i % kinds.length];
    const n = hex(from + Math.floor(next() * blocks));
    let request;
    if (kind === 'block') request = body('eth_getBlockByNumber', [n, false]);
    else if (kind === 'balance')
      request = body('eth_getBalance', [holders[Math.floor(next() * holders.length)], n]);
    else if (kind === 'call') {
      const data = `0x${SELECTOR}${Math.floor(next() * 1e9)
        .toString(16)
        .padStart(64, '0')}`;
      request = body('eth_call', [{ to: chain.contract, data }, n]);
    } else if (kind === 'receipt') {
      request = body('eth_getTransactionReceipt', [finalTxs[Math.floor(next() * finalTxs.length)].hash]);
    } else throw new Error(`unknown request kind ${kind}`);
    if (seen.has(request)) continue;
    seen.add(request);
    out.push({ kind, body: request });
  }
  return out;
}

/** The tip reads of the mix: never final, so cached briefly at most. */
export function tipRequests(chain) {
  return [
    { kind: 'blockNumber', body: body('eth_blockNumber', []) },
    { kind: 'balance@latest', body: body('eth_getBalance', [chain.accounts[1], 'latest']) },
    { kind: 'block@latest', body: body('eth_getBlockByNumber', ['latest', false]) },
  ];
}

/**
 * A fixed request sequence for the open-loop generator: each slot is a tip read with probability
 * `tipShare` (the three kinds in turn), otherwise a historical request drawn uniformly from the
 * set, so the same requests repeat as in real traffic. Returns bodies and a class per body.
 */
export function mixSequence({ historical, tip, length, tipShare, seed = 11 }) {
  const next = prng(seed);
  const bodies = [];
  const classes = [];
  let tipIndex = 0;
  for (let i = 0; i < length; i++) {
    if (next() < tipShare) {
      bodies.push(tip[tipIndex++ % tip.length].body);
      classes.push('tip');
    } else {
      bodies.push(historical[Math.floor(next() * historical.length)].body);
      classes.push('historical');
    }
  }
  return { bodies, classes };
}

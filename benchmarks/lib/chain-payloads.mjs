// Real JSON-RPC `result` payloads for the cache codec benchmark, made without network access:
// a local anvil gets a few hundred transactions (value transfers, ERC-20-style Transfer logs from
// a hand-assembled contract, router-like calls with long calldata and access lists), then we read
// back blocks with full transactions, receipts, eth_getLogs ranges and eth_call results. A seeded
// PRNG makes addresses, amounts and calldata the same on every run.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { startChild, stopChild } from './children.mjs';
import { assemble, deployCode } from './evm-asm.mjs';
import { freePort } from './ports.mjs';

/** keccak256("Transfer(address,address,uint256)") */
const TRANSFER_TOPIC = 'ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';

/**
 * Calldata: selector, `to` word, `amount` word, `count` word, then anything. Emits `count`
 * Transfer(caller, to + i, amount + i) logs, like a token or a swap that moves several tokens.
 */
const EMITTER = assemble(`
  PUSH1 44 CALLDATALOAD                              ; n = count
  loop: JUMPDEST
  DUP1 ISZERO PUSH2 @end JUMPI
  PUSH1 24 CALLDATALOAD DUP2 ADD PUSH1 00 MSTORE     ; data = amount + n
  PUSH1 04 CALLDATALOAD DUP2 ADD                     ; topic2 = to + n
  CALLER                                             ; topic1 = caller
  PUSH32 ${TRANSFER_TOPIC}
  PUSH1 20 PUSH1 00 LOG3
  PUSH1 01 SWAP1 SUB
  PUSH2 @loop JUMP
  end: JUMPDEST STOP
`);

/** Returns its calldata after the selector: eth_call answers of any shape and size. */
const ECHO = assemble(`
  CALLDATASIZE PUSH1 04 SWAP1 SUB
  DUP1 PUSH1 04 PUSH1 00 CALLDATACOPY
  PUSH1 00 RETURN
`);

/** Transactions per mined block: a spread from near-empty to busy blocks. */
const BLOCK_PLAN = [1, 1, 2, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150];
/** Entries in the multicall-like eth_call answers. */
const CALL_PLAN = [6, 8, 10, 14, 20, 30, 45, 60, 90, 130, 200, 300, 450, 700, 1000, 1500];
/** Transactions in the synthetic large block built from real transaction objects. */
const SYNTHETIC_BLOCK_TXS = 300;

/** Where the platform's anvil binary is (the package `@foundry-rs/anvil` installs it). */
export function anvilBinary() {
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch] ?? process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  const require = createRequire(import.meta.url);
  for (const from of [require, createRequire(require.resolve('@foundry-rs/anvil/package.json'))]) {
    try {
      return join(dirname(from.resolve(`${pkg}/package.json`)), 'bin', 'anvil');
    } catch {
      // try the wrapper's own resolution next
    }
  }
  return 'anvil'; // on PATH
}

/** mulberry32: a small seeded PRNG, so every run builds the same payloads. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeRandom(seed) {
  const next = prng(seed);
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const hex = (bytes) => {
    let out = '';
    for (let i = 0; i < bytes; i++) out += int(0, 255).toString(16).padStart(2, '0');
    return out;
  };
  // A few hot addresses get most of the traffic, as on a real chain.
  const pool = Array.from({ length: 400 }, () => hex(20));
  const address = () => pool[Math.floor(pool.length * next() ** 2)];
  /** A token amount: 3–12 significant bytes, left-padded to a word. */
  const amountWord = () => hex(int(3, 12)).padStart(64, '0');
  return { next, int, hex, address, amountWord, word: (h) => h.padStart(64, '0') };
}

/** JSON-RPC calls in one batch; results in call order, the first error thrown. */
export async function rpcBatch(url, calls) {
  const body = calls.map(([method, params], id) => ({ jsonrpc: '2.0', id, method, params }));
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const replies = await response.json();
  const results = new Array(calls.length);
  for (const reply of replies) {
    if (reply.error) throw new Error(`${calls[reply.id][0]}: ${JSON.stringify(reply.error)}`);
    results[reply.id] = reply.result;
  }
  return results;
}

export async function rpc(url, method, params = []) {
  const [result] = await rpcBatch(url, [[method, params]]);
  return result;
}

/** Sends requests in batches of `size` (anvil answers a batch in one round trip). */
async function inBatches(url, calls, size = 100) {
  const results = [];
  for (let i = 0; i < calls.length; i += size)
    results.push(...(await rpcBatch(url, calls.slice(i, i + size))));
  return results;
}

/** One transaction of the mix: 35 % value transfer, 45 % token transfer, 20 % router call. */
function makeTransaction(random, from, nonce, contracts) {
  const fees = {
    maxFeePerGas: `0x${(random.int(20, 80) * 1e9).toString(16)}`,
    maxPriorityFeePerGas: `0x${(random.int(1, 3) * 1e8 * random.int(1, 20)).toString(16)}`,
  };
  const tx = { from, nonce: `0x${nonce.toString(16)}`, ...fees };
  const kind = random.next();
  if (kind < 0.35) {
    if (random.next() < 0.3) {
      delete tx.maxFeePerGas;
      delete tx.maxPriorityFeePerGas;
      tx.gasPrice = `0x${(random.int(20, 80) * 1e9).toString(16)}`; // legacy
    }
    return { ...tx, to: `0x${random.address()}`, value: `0x${random.hex(random.int(5, 8))}`, gas: '0x5208' };
  }
  const selector = kind < 0.8 ? 'a9059cbb' : '5ae401dc';
  const count = kind < 0.8 ? random.int(1, 2) : random.int(3, 10);
  let data = `0x${selector}${random.word(random.address())}${random.amountWord()}${random.word(count.toString(16))}`;
  if (kind >= 0.8) {
    // Router-style tail: deadlines, addresses, amounts, zero words and a packed swap path.
    for (let i = random.int(4, 40); i > 0; i--) {
      const pick = random.next();
      if (pick < 0.3) data += random.word(random.address());
      else if (pick < 0.55) data += random.amountWord();
      else if (pick < 0.75) data += random.word('');
      else if (pick < 0.85) data += random.word((1_800_000_000 + random.int(0, 1e6)).toString(16));
      else data += `${random.address()}${random.word('bb8').slice(-6)}${random.address()}`.padEnd(128, '0');
    }
    if (random.next() < 0.5) {
      tx.accessList = Array.from({ length: random.int(1, 3) }, () => ({
        address: `0x${random.address()}`,
        storageKeys: Array.from({ length: random.int(1, 4) }, () => `0x${random.hex(32)}`),
      }));
    }
  }
  // Generous gas: intrinsic (calldata, access list) plus the logs; the unused rest is refunded.
  const keys = (tx.accessList ?? []).reduce((sum, entry) => sum + entry.storageKeys.length, 0);
  const gas = 61_000 + 16 * ((data.length - 2) / 2) + 2_400 * (tx.accessList?.length ?? 0) + 1_900 * keys;
  return { ...tx, to: contracts.emitter, data, gas: `0x${(gas + count * 15_000).toString(16)}` };
}

/** Multicall-like answer: abi.encode(uint256 blockNumber, bytes[] returnData). */
function multicallResult(random, entries, blockNumber) {
  const items = Array.from({ length: entries }, () => {
    const words = random.next() < 0.7 ? 1 : random.int(2, 3); // balanceOf / getReserves-like
    return Array.from({ length: words }, () => random.amountWord()).join('');
  });
  const head = [random.word(blockNumber.toString(16)), random.word('40'), random.word(entries.toString(16))];
  const offsets = [];
  const bodies = [];
  let offset = entries * 32;
  for (const item of items) {
    offsets.push(random.word(offset.toString(16)));
    const bytes = item.length / 2;
    bodies.push(random.word(bytes.toString(16)) + item);
    offset += 32 + bytes;
  }
  return head.join('') + offsets.join('') + bodies.join('');
}

/**
 * Starts anvil, fills it, and returns the payloads as { kind, label, bytes } (bytes = the exact
 * `result` JSON, which anvil writes compactly, so JSON.stringify(result) reproduces it).
 */
export async function buildChainPayloads({ seed = 20_261_122, log = () => {} } = {}) {
  const random = makeRandom(seed);
  const port = await freePort();
  // --order fifo: by the default fee order anvil may run a sender's nonce n + 1 before n in a
  // block and drop it as "nonce too high". A 100 M gas limit fits the largest planned block.
  const anvil = await startChild(
    'anvil',
    anvilBinary(),
    [
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--no-mining',
      '--order',
      'fifo',
      '--gas-limit',
      '100000000',
    ],
    { ready: /Listening on/ },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await rpc(url, 'anvil_setLoggingEnabled', [false]);
    const accounts = await rpc(url, 'eth_accounts', []);
    const nonces = new Map(accounts.map((account) => [account, 0]));
    // One at a time, in nonce order; `--order fifo` mines them in that order.
    const send = async (txs) => {
      const hashes = [];
      for (const tx of txs) hashes.push(await rpc(url, 'eth_sendTransaction', [tx]));
      return hashes;
    };
    const deployer = accounts[0];
    const deployTx = (runtime) => ({
      from: deployer,
      nonce: `0x${nonces.get(deployer).toString(16)}`,
      data: deployCode(runtime),
      gas: '0x100000',
    });
    const deployHashes = [];
    for (const runtime of [EMITTER, ECHO]) {
      deployHashes.push(...(await send([deployTx(runtime)])));
      nonces.set(deployer, nonces.get(deployer) + 1);
    }
    await rpc(url, 'evm_mine', []);
    const [emitterReceipt, echoReceipt] = await rpcBatch(
      url,
      deployHashes.map((hash) => ['eth_getTransactionReceipt', [hash]]),
    );
    const contracts = { emitter: emitterReceipt.contractAddress, echo: echoReceipt.contractAddress };

    const txHashes = [];
    const blockNumbers = [];
    for (const size of BLOCK_PLAN) {
      const txs = [];
      for (let i = 0; i < size; i++) {
        const from = accounts[random.int(0, accounts.length - 1)];
        txs.push(makeTransaction(random, from, nonces.get(from), contracts));
        nonces.set(from, nonces.get(from) + 1);
      }
      txHashes.push(...(await send(txs)));
      await rpc(url, 'evm_mine', []);
      const number = Number.parseInt(await rpc(url, 'eth_blockNumber', []), 16);
      blockNumbers.push(number);
    }
    log(`anvil: ${txHashes.length} transactions in ${blockNumbers.length} blocks`);

    const payloads = [];
    const add = (kind, label, result) => {
      payloads.push({ kind, label, bytes: Buffer.from(JSON.stringify(result)) });
    };

    const blocks = await rpcBatch(
      url,
      blockNumbers.map((n) => ['eth_getBlockByNumber', [`0x${n.toString(16)}`, true]]),
    );
    BLOCK_PLAN.forEach((size, i) => {
      if (blocks[i].transactions.length !== size) {
        throw new Error(
          `block ${blockNumbers[i]} has ${blocks[i].transactions.length} of ${size} transactions`,
        );
      }
      add('block', `block ${size} txs`, blocks[i]);
    });

    // A mainnet-sized block from real transaction objects (renumbered into one block).
    const allTxs = blocks.flatMap((block) => block.transactions);
    const big = blocks.at(-1);
    const picked = Array.from({ length: SYNTHETIC_BLOCK_TXS }, (_, i) => allTxs[(i * 7) % allTxs.length]);
    add('block', `synthetic block ${SYNTHETIC_BLOCK_TXS} txs`, {
      ...big,
      gasUsed: `0x${(29_000_000 + random.int(0, 999_999)).toString(16)}`,
      transactions: picked.map((tx, i) => ({
        ...tx,
        blockHash: big.hash,
        blockNumber: big.number,
        transactionIndex: `0x${i.toString(16)}`,
      })),
    });

    const receipts = await inBatches(
      url,
      txHashes.map((hash) => ['eth_getTransactionReceipt', [hash]]),
    );
    for (const receipt of receipts) add('receipt', `receipt ${receipt.logs.length} logs`, receipt);

    const first = blockNumbers[0];
    const last = blockNumbers.at(-1);
    const ranges = [];
    for (let span = 1; span <= blockNumbers.length; span *= 2) {
      for (let from = first; from + span - 1 <= last; from += Math.max(1, Math.floor(span * 1.5))) {
        ranges.push([from, from + span - 1]);
      }
    }
    ranges.push([first, last]);
    const logs = await rpcBatch(
      url,
      ranges.map(([from, to]) => [
        'eth_getLogs',
        [
          {
            fromBlock: `0x${from.toString(16)}`,
            toBlock: `0x${to.toString(16)}`,
            address: contracts.emitter,
          },
        ],
      ]),
    );
    for (const [i, result] of logs.entries())
      add('logs', `logs ${ranges[i][1] - ranges[i][0] + 1} blocks`, result);

    const calls = await rpcBatch(
      url,
      CALL_PLAN.map((entries) => [
        'eth_call',
        [{ to: contracts.echo, data: `0x252dba42${multicallResult(random, entries, last)}` }, 'latest'],
      ]),
    );
    for (const [i, result] of calls.entries()) add('eth_call', `eth_call ${CALL_PLAN[i]} entries`, result);
    return { payloads, transactions: txHashes.length, blocks: blockNumbers.length };
  } finally {
    await stopChild(anvil);
  }
}

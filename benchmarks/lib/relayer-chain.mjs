// The chain side of the relayer benchmark: an anvil node with a raised gas limit, the demo token
// and batch contract deployed (on automine) and then interval mining; the baseline (the batch
// contract called directly, pre-signed, no Turnpike); and the on-chain audit (Transfer logs of
// the run's recipients against what the client was told was accepted).
import { encodeFunctionData, keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { anvilBinary, rpc, rpcBatch } from './chain-payloads.mjs';
import { startChild } from './children.mjs';
import { freePort } from './ports.mjs';
import { recipientOf, transferKey } from './relayer-transfers.mjs';

import { summarize } from './stats.mjs';

/** The relayer's own ABI and gas sizing, from the build (`turnpike/relayer-evm`). */
async function relayerEvm() {
  const evm = await import('turnpike/relayer-evm');
  const batchGas = (n) => evm.withGasMargin(evm.GAS_BATCH_OVERHEAD + evm.GAS_PER_TRANSFER * BigInt(n));
  return { batchTransferAbi: evm.batchTransferAbi, batchGas };
}

const TRANSFER_TOPIC = keccak256(toHex('Transfer(address,address,uint256)'));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const hex = (n) => `0x${BigInt(n).toString(16)}`;

/**
 * anvil on a free port with `--gas-limit`; automine until `startIntervalMining`. `extraArgs`
 * (BENCH_ANVIL_ARGS, space-separated) go after ours, e.g. `--prune-history 64`.
 */
export async function startBenchAnvil({ gasLimit, extraArgs = anvilArgsFromEnv() }) {
  const port = await freePort();
  const args = [
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--silent',
    '--gas-limit',
    String(gasLimit),
    ...extraArgs,
  ];
  const child = await startChild('anvil', anvilBinary(), args, { ready: null });
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await rpc(url, 'eth_chainId');
      break;
    } catch (err) {
      if (child.exited) throw new Error(`anvil exited: ${child.tail.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`anvil not answering ${url}: ${err.message}`);
      await sleep(50);
    }
  }
  return { child, url, args: args.filter((_, i) => i > 3) };
}

function anvilArgsFromEnv() {
  return (process.env.BENCH_ANVIL_ARGS ?? '').split(/\s+/).filter(Boolean);
}

export async function startIntervalMining(url, seconds) {
  await rpc(url, 'evm_setAutomine', [false]);
  await rpc(url, 'evm_setIntervalMining', [seconds]);
}

export const blockNumber = async (url) => Number.parseInt(await rpc(url, 'eth_blockNumber'), 16);

/**
 * The chain's own ceiling for the same work: transferBatch transactions of `batchSize` fresh
 * recipients, pre-signed by the relayer's keys (round robin), sent with eth_sendRawTransaction
 * open-model at `rate` transfers/s for `seconds`, receipts polled every 100 ms. No Turnpike,
 * no database: what is left is the chain (execution, block gas, block time).
 */
export async function runDirectBaseline({
  url,
  keys,
  token,
  batchContract,
  rate,
  seconds,
  batchSize,
  tag,
  blockTime,
  recipients: recipientMode = 'unique',
}) {
  const { batchTransferAbi, batchGas } = await relayerEvm();
  const chainId = Number.parseInt(await rpc(url, 'eth_chainId'), 16);
  const gasPrice = BigInt(await rpc(url, 'eth_gasPrice'));
  const accounts = keys.map((key) => privateKeyToAccount(key));
  const nonces = await Promise.all(
    accounts.map(async (a) =>
      Number.parseInt(await rpc(url, 'eth_getTransactionCount', [a.address, 'pending']), 16),
    ),
  );
  const txCount = Math.max(1, Math.round((rate * seconds) / batchSize));
  const signed = [];
  for (let k = 0; k < txCount; k++) {
    const signer = k % accounts.length;
    const recipients = Array.from({ length: batchSize }, (_, j) =>
      recipientOf(tag, k * batchSize + j, recipientMode),
    );
    const data = encodeFunctionData({
      abi: batchTransferAbi,
      functionName: 'transferBatch',
      args: [token, recipients, recipients.map(() => 1000n)],
    });
    signed.push(
      await accounts[signer].signTransaction({
        chainId,
        type: 'eip1559',
        to: batchContract,
        data,
        gas: batchGas(batchSize),
        nonce: nonces[signer]++,
        maxFeePerGas: gasPrice * 4n,
        maxPriorityFeePerGas: 1_000_000_000n,
      }),
    );
  }
  const firstBlock = (await blockNumber(url)) + 1;
  const period = (1000 * batchSize) / rate;
  const sent = new Map(); // hash → send time
  const minedAt = new Map();
  const start = Date.now();
  let polling = true;
  const poller = (async () => {
    while (polling || minedAt.size < sent.size) {
      const open = [...sent.keys()].filter((h) => !minedAt.has(h));
      if (open.length > 0) {
        const receipts = await rpcBatch(
          url,
          open.map((h) => ['eth_getTransactionReceipt', [h]]),
        );
        const now = Date.now();
        receipts.forEach((r, i) => {
          if (r !== null)
            minedAt.set(open[i], { at: now, status: r.status, block: Number.parseInt(r.blockNumber, 16) });
        });
      }
      if (Date.now() - start > (seconds + 60) * 1000) break;
      await sleep(100);
    }
  })();
  const rejected = [];
  for (let k = 0; k < signed.length; k++) {
    const due = start + k * period;
    if (due > Date.now()) await sleep(due - Date.now());
    const sentAt = Date.now();
    try {
      const hash = await rpc(url, 'eth_sendRawTransaction', [signed[k]]);
      sent.set(hash, sentAt);
    } catch (err) {
      rejected.push(err.message);
    }
  }
  polling = false;
  await poller;
  const latencies = [...minedAt].map(([h, m]) => m.at - sent.get(h));
  const mined = [...minedAt.values()];
  const reverted = mined.filter((m) => m.status !== '0x1').length;
  const lastBlock = Math.max(...mined.map((m) => m.block));
  // Transfers mined per second of chain time: blocks from the first send to the last inclusion
  // (interval mining: one block per `blockTime`). Receipt times are only polled every 100 ms.
  const spanSeconds = (lastBlock - firstBlock + 1) * blockTime;
  const okTransfers = (mined.length - reverted) * batchSize;
  const blocks = await blockStats(url, firstBlock, lastBlock);
  return {
    rate,
    seconds,
    batchSize,
    transactions: signed.length,
    rejected: rejected.length,
    rejectedSample: rejected.slice(0, 3),
    mined: mined.length,
    reverted,
    transfers: okTransfers,
    confirmedPerSecond: okTransfers / spanSeconds,
    spanSeconds,
    inclusionMs: summarize(latencies),
    blocks,
  };
}

/** Gas used per block over a range: how full the blocks were. */
export async function blockStats(url, from, to) {
  if (!(to >= from)) return { count: 0 };
  const numbers = [];
  for (let n = from; n <= to; n++) numbers.push(n);
  const gasUsed = [];
  let gasLimit = 0;
  let txs = 0;
  for (let i = 0; i < numbers.length; i += 200) {
    const blocks = await rpcBatch(
      url,
      numbers.slice(i, i + 200).map((n) => ['eth_getBlockByNumber', [hex(n), false]]),
    );
    for (const b of blocks) {
      gasUsed.push(Number.parseInt(b.gasUsed, 16));
      gasLimit = Number.parseInt(b.gasLimit, 16);
      txs += b.transactions.length;
    }
  }
  const s = summarize(gasUsed);
  return {
    count: numbers.length,
    gasLimit,
    txs,
    gasUsedMean: s.mean,
    gasUsedMax: s.max,
    fullestShare: s.max / gasLimit,
  };
}

/**
 * Transfer logs of the token in [from, to] whose recipient starts with the run's tag, counted
 * per transfer key (recipient and amount, see relayer-transfers.mjs), against the counts the
 * client was told were accepted (`expected`: key → count). `missing` = accepted but never on
 * chain; `duplicated` = on chain more often than accepted; `amountDelta` = on-chain sum −
 * requested sum over the tag's recipients.
 */
export async function auditTransfers({ url, token, from, to, tag, expected }) {
  const seen = new Map();
  const recipients = new Set();
  let logs = 0;
  let amountOnChain = 0n;
  const prefix = `0x${'0'.repeat(24)}${tag}`;
  for (let start = from; start <= to; start += 10) {
    const end = Math.min(to, start + 9);
    const found = await rpc(url, 'eth_getLogs', [
      { address: token, fromBlock: hex(start), toBlock: hex(end), topics: [TRANSFER_TOPIC] },
    ]);
    for (const log of found) {
      const topic = log.topics[2];
      if (!topic.startsWith(prefix)) continue;
      const recipient = `0x${topic.slice(26)}`;
      const amount = BigInt(log.data);
      const key = transferKey(recipient, amount.toString());
      recipients.add(recipient);
      seen.set(key, (seen.get(key) ?? 0) + 1);
      amountOnChain += amount;
      logs++;
    }
  }
  let missing = 0;
  let duplicated = 0;
  let requested = 0n;
  for (const [key, count] of expected) {
    requested += BigInt(key.slice(key.indexOf(':') + 1)) * BigInt(count);
    const got = seen.get(key) ?? 0;
    if (got < count) missing += count - got;
    if (got > count) duplicated += got - count;
  }
  // On chain though the client never heard 202 (stored, answer lost): neither lost nor doubled.
  let unacknowledged = 0;
  for (const [key, got] of seen) if (!expected.has(key)) unacknowledged += got;
  return {
    logs,
    distinctRecipients: recipients.size,
    missing,
    duplicated,
    unacknowledged,
    amountDelta: (amountOnChain - requested).toString(),
  };
}

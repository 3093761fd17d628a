/**
 * Real client libraries on the gateway's WebSocket in front of anvil, with the repository's
 * ERC-20 (contracts/TurnpikeDemoToken.sol) deployed through the gateway: viem's `webSocket`
 * transport (deployContract, watchContractEvent, waitForTransactionReceipt) and ethers v6's
 * WebSocketProvider (`on('block')`, a contract event listener, getBlockNumber, waitForTransaction).
 */
import { Contract, type ContractEventPayload, ContractFactory, Wallet, WebSocketProvider } from 'ethers';
import {
  type Abi,
  createPublicClient,
  createWalletClient,
  type Hex,
  type Log as ViemLog,
  webSocket,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { anvil as anvilChain } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnvilNode } from '../src/dev/anvil.js';
import { ANVIL_DEPLOYER_KEY } from '../src/dev/dev-relayer-contracts.js';
import type { Gateway } from '../src/gateway.js';
import { compileContracts, pickContract } from '../src/relayer/chains/evm/compile-contracts.js';
import { blockAt, headNumber, nodeLogs, sleep, waitFor } from './support/realtime-feed-harness.js';
import { startEmitterNode, startWsGateway } from './support/ws-e2e-fixture.js';

/** Anvil's second and third default accounts' addresses: token recipients. */
const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const BOB = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';

let anvil: AnvilNode;
let gateway: Gateway;
let wsUrl: string;
let abi: Abi;
let bytecode: Hex;

beforeAll(async () => {
  const token = pickContract(await compileContracts(), 'TurnpikeDemoToken');
  abi = token.abi as Abi;
  bytecode = token.bytecode as Hex;
  anvil = await startEmitterNode([]);
  // eth_blockNumber is the chain tracker's (blockNumberMaxAgeMs at its default): after a
  // transaction sent through the gateway it comes from the node until the tracker has read the
  // new head (test/block-number-consistency.test.ts), so ethers' waitForTransaction does not
  // see N - 1 after a receipt in block N and wait for a block event it already had.
  ({ gateway, wsUrl } = await startWsGateway({ upstreams: [{ url: anvil.url }] }));
});

afterAll(async () => {
  await gateway?.close(1_000);
  await anvil?.stop();
});

const feedStats = () => gateway.realtime!.feedOf('anvil')?.stats.subscriptions;

describe('viem over the gateway’s WebSocket', () => {
  it('deploys the ERC-20, watches its Transfer events, and waits for receipts', async () => {
    const transport = webSocket(wsUrl, { reconnect: false });
    const client = createPublicClient({ chain: anvilChain, transport });
    const wallet = createWalletClient({
      chain: anvilChain,
      transport,
      account: privateKeyToAccount(ANVIL_DEPLOYER_KEY),
    });
    const deployment = await wallet.deployContract({ abi, bytecode, args: ['Socket Token', 'SOCK'] });
    const deployed = await client.waitForTransactionReceipt({ hash: deployment });
    expect(deployed.status).toBe('success');
    const token = deployed.contractAddress!;
    expect(await client.getCode({ address: token })).toMatch(/^0x[0-9a-f]{100,}$/);

    const seen: ViemLog[] = [];
    const logsBefore = feedStats()?.logs ?? 0;
    const unwatch = client.watchContractEvent({
      address: token,
      abi,
      eventName: 'Transfer',
      onLogs: (logs) => seen.push(...logs),
    });
    await waitFor('the logs subscription', () => (feedStats()?.logs ?? 0) === logsBefore + 1);
    const sent: Hex[] = [
      await wallet.writeContract({
        address: token,
        abi,
        functionName: 'mint',
        args: [wallet.account.address, 1_000n],
      }),
    ];
    await client.waitForTransactionReceipt({ hash: sent[0]! });
    sent.push(
      await wallet.writeContract({ address: token, abi, functionName: 'transfer', args: [ALICE, 10n] }),
    );
    sent.push(
      await wallet.writeContract({ address: token, abi, functionName: 'transfer', args: [BOB, 20n] }),
    );
    // An Approval is not a Transfer: the filter the feed got must drop it.
    sent.push(await wallet.writeContract({ address: token, abi, functionName: 'approve', args: [BOB, 5n] }));
    const receipts = await Promise.all(sent.map((hash) => client.waitForTransactionReceipt({ hash })));
    expect(receipts.map((receipt) => receipt.status)).toEqual(['success', 'success', 'success', 'success']);

    await waitFor('three Transfer logs', () => seen.length >= 3);
    await sleep(200);
    const transfers = seen as unknown as {
      args: { from: string; to: string; value: bigint };
      transactionHash: Hex;
      blockHash: Hex;
      logIndex: number;
    }[];
    expect(transfers.map((log) => [log.args.from, log.args.to, log.args.value])).toEqual([
      ['0x0000000000000000000000000000000000000000', wallet.account.address, 1_000n],
      [wallet.account.address, ALICE, 10n],
      [wallet.account.address, BOB, 20n],
    ]);
    expect(transfers.map((log) => log.transactionHash)).toEqual(sent.slice(0, 3));
    for (const [i, log] of transfers.entries()) expect(log.blockHash).toBe(receipts[i]!.blockHash);
    unwatch();
    (await transport({ chain: anvilChain }).value!.getRpcClient()).close();
    await waitFor('no logs subscription', () => (feedStats()?.logs ?? 0) === logsBefore);
  });
});

describe('ethers v6 WebSocketProvider over the gateway', () => {
  it('gets every block, the contract’s events, the block number, and waits for a transaction', async () => {
    // ethers answers a repeated call within cacheTimeout (250 ms) from its own cache: the
    // "pending" nonce too, so a second transaction right after a confirmed one reused its nonce.
    const provider = new WebSocketProvider(wsUrl, 31337, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const signer = new Wallet(ANVIL_DEPLOYER_KEY, provider);
      expect(await provider.getBlockNumber()).toBe(await headNumber(anvil.url));

      const blocks: number[] = [];
      await provider.on('block', (number: number) => blocks.push(number));
      const headsBefore = feedStats()?.newHeads ?? 0;
      await waitFor('the newHeads subscription', () => (feedStats()?.newHeads ?? 0) > headsBefore);
      const first = await headNumber(anvil.url);

      const factory = new ContractFactory(abi as never, bytecode, signer);
      const deployedToken = await factory.deploy('Ethers Token', 'ETH2');
      await deployedToken.waitForDeployment();
      const address = await deployedToken.getAddress();
      const token = new Contract(address, abi as never, signer);

      const logsBefore = feedStats()?.logs ?? 0;
      const events: { from: string; to: string; value: bigint; block: number; tx: string }[] = [];
      await token.on('Transfer', (from: string, to: string, value: bigint, payload: ContractEventPayload) =>
        events.push({ from, to, value, block: payload.log.blockNumber, tx: payload.log.transactionHash }),
      );
      await waitFor('the logs subscription', () => (feedStats()?.logs ?? 0) === logsBefore + 1);

      const mint = await token.getFunction('mint')(signer.address, 500n);
      const minted = await provider.waitForTransaction(mint.hash, 1, 20_000);
      expect(minted?.status).toBe(1);
      const transfer = await token.getFunction('transfer')(ALICE, 7n);
      const transferred = await provider.waitForTransaction(transfer.hash, 1, 20_000);
      expect(transferred?.status).toBe(1);
      expect(transferred?.blockNumber).toBeGreaterThan(minted!.blockNumber);

      await waitFor('two Transfer events', () => events.length >= 2);
      const head = await headNumber(anvil.url);
      await waitFor('the head block on("block")', () => blocks.includes(head));
      await sleep(200);
      expect(events.map((event) => [event.from, event.to, event.value, event.tx])).toEqual([
        ['0x0000000000000000000000000000000000000000', signer.address, 500n, mint.hash],
        [signer.address, ALICE, 7n, transfer.hash],
      ]);
      const nodeTransfers = await nodeLogs(anvil.url, { address }, first, head);
      expect(events.map((event) => event.block)).toEqual(
        nodeTransfers.map((log) => Number.parseInt(log.blockNumber, 16)),
      );
      // Every block once, in order, from the first after the subscription to the head.
      expect(blocks).toEqual(Array.from({ length: head - blocks[0]! + 1 }, (_, i) => blocks[0]! + i));
      expect(blocks[0]).toBeLessThanOrEqual(first + 1);
      expect(await provider.getBlockNumber()).toBe(head);
      expect((await provider.getBlock(head))?.hash).toBe((await blockAt(anvil.url, head)).hash);
    } finally {
      await provider.destroy();
    }
  });
});

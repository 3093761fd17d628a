/**
 * Two anvil nodes at different heights, for the consistency tests: `ahead` is mined `lead`
 * blocks further than `behind` at start; with `blockTime` both keep mining, so the gap stays
 * while both heads move. They are two chains with the same id and accounts, not one chain served
 * late (part of issue 22 builds that replica): a test that routes wrongly sees another height,
 * or a transaction missing, which is what these tests look for.
 */
import { type Hex, parseGwei } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { type AnvilNode, startAnvil } from '../../src/dev/anvil.js';
import { rpc } from './rpc.js';

export interface UnevenAnvils {
  readonly ahead: AnvilNode;
  readonly behind: AnvilNode;
  stop(): Promise<void>;
}

export async function startUnevenAnvils(options: {
  lead: number;
  blockTime?: number;
}): Promise<UnevenAnvils> {
  const anvilOptions = options.blockTime === undefined ? {} : { blockTime: options.blockTime };
  const [ahead, behind] = await Promise.all([startAnvil(anvilOptions), startAnvil(anvilOptions)]);
  await rpc(ahead!.url, 'anvil_mine', [`0x${options.lead.toString(16)}`]);
  return {
    ahead: ahead!,
    behind: behind!,
    async stop() {
      await Promise.all([ahead!.stop(), behind!.stop()]);
    },
  };
}

/** The node's head, read directly. */
export async function headOf(node: AnvilNode): Promise<number> {
  const answer = await rpc(node.url, 'eth_blockNumber');
  return Number.parseInt((answer.body as { result: string }).result, 16);
}

/** The network entry over both anvils as the consistency tests use it (chain id checked, fast probes). */
export function unevenNetwork(anvils: UnevenAnvils) {
  return {
    chainId: 31337,
    health: { maxBlockLag: 0, probeIntervalMs: 100 },
    upstreams: [
      { id: 'ahead', url: anvils.ahead.url },
      { id: 'behind', url: anvils.behind.url },
    ],
  };
}

/** Anvil's default accounts 0–3 (funded on both chains). */
export const ANVIL_KEYS: Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
];

/** A signed transfer of 1 wei to 0x…dEaD from `key` at `nonce` (EIP-1559, 21,000 gas). */
export function signedTransfer(key: Hex, nonce: number): Promise<Hex> {
  return privateKeyToAccount(key).signTransaction({
    chainId: 31337,
    type: 'eip1559',
    to: '0x000000000000000000000000000000000000dEaD',
    value: 1n,
    nonce,
    gas: 21_000n,
    maxFeePerGas: parseGwei('20'),
    maxPriorityFeePerGas: parseGwei('1'),
  });
}

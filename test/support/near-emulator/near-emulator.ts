/**
 * A NEAR network for tests: one chain producing blocks, served by one or more RPC nodes.
 * No NEAR node can be installed here (docs/near.md), so Turnpike's NEAR support is tested
 * against this emulator.
 */
import { NearChain, type NearChainOptions } from './near-chain.js';
import { type NearNodeOptions, NearRpcNode } from './rpc-node.js';

export interface NearEmulatorOptions extends NearChainOptions {
  /** RPC nodes onto the chain. @default 1 */
  readonly nodes?: number;
  /** Options of each node, by index. */
  readonly node?: (index: number) => NearNodeOptions;
  /** Start producing blocks at once. @default true */
  readonly produce?: boolean;
}

export interface NearEmulator {
  readonly chain: NearChain;
  readonly nodes: readonly NearRpcNode[];
  close(): Promise<void>;
}

export async function startNearEmulator(options: NearEmulatorOptions = {}): Promise<NearEmulator> {
  const chain = new NearChain(options);
  const nodes = Array.from(
    { length: options.nodes ?? 1 },
    (_, index) => new NearRpcNode(chain, options.node?.(index)),
  );
  await Promise.all(nodes.map((node) => node.listen()));
  if (options.produce !== false) chain.start();
  return {
    chain,
    nodes,
    async close() {
      chain.stop();
      await Promise.all(nodes.map((node) => node.close()));
    },
  };
}

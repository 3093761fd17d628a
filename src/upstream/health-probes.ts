/**
 * What the health monitor asks an upstream of each chain family: its chain id, and its head
 * (the default probe). EVM: `eth_chainId`, `eth_blockNumber`. NEAR: both from `status`
 * (`chain_id`, `sync_info.latest_block_height`).
 */
import type { ChainFamily } from '../rpc/methods/method-table.js';
import { nearChainId, nearStatusHead } from '../rpc/methods/near-head-reports.js';

/** An EVM chain id (an integer) or a NEAR one (`mainnet`). */
export type ChainId = number | string;

export interface HealthProbes {
  readonly chainIdMethod: string;
  chainIdOf(result: unknown): ChainId | undefined;
  /** The probe when `health.probeMethod` is unset; its answer updates the head. */
  readonly headMethod: string;
  headOf(result: unknown): number | undefined;
}

const EVM_PROBES: HealthProbes = {
  chainIdMethod: 'eth_chainId',
  chainIdOf: (result) =>
    typeof result === 'string' && result.startsWith('0x') ? Number.parseInt(result, 16) : undefined,
  headMethod: 'eth_blockNumber',
  headOf: (result) => {
    if (typeof result !== 'string') return undefined;
    const head = Number.parseInt(result, 16);
    return Number.isSafeInteger(head) ? head : undefined;
  },
};

const NEAR_PROBES: HealthProbes = {
  chainIdMethod: 'status',
  chainIdOf: nearChainId,
  headMethod: 'status',
  headOf: nearStatusHead,
};

export function probesOf(family: ChainFamily): HealthProbes {
  return family === 'near' ? NEAR_PROBES : EVM_PROBES;
}

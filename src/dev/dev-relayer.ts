/**
 * The relayer of `turnpike dev`: deploys the demo token (DEMO) and the batch contract on the
 * dev anvil node and returns a `relayer` config section that uses them. The signing keys are
 * generated fresh for each run (so they never collide with anvil's well-known accounts a
 * newcomer may use by hand), funded by dev-relayer-contracts.ts, and handed to the gateway
 * through an environment variable of this process (cluster workers inherit it). Keys are never
 * printed or written to disk.
 */
import type { Hex } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import type { TurnpikeConfigInput } from '../config/schema.js';
import { deployDemoContracts } from './dev-relayer-contracts.js';

/** The environment variable `turnpike dev` puts its signing keys in. */
export const DEV_RELAYER_KEYS_ENV = 'TURNPIKE_DEV_RELAYER_KEYS';
export const DEV_TOKEN_NAME = 'DEMO';
/** 1,000,000 DEMO (18 decimals) per signing key. */
const MINT_PER_SIGNER = 1_000_000n * 10n ** 18n;

export interface DevRelayerOptions {
  /** The anvil node to deploy on. */
  rpcUrl: string;
  /** The network name the gateway serves anvil as. */
  network: string;
  /** @default 4 */
  keys?: number;
}

export interface DevRelayer {
  readonly token: string;
  readonly batchContract: string;
  /** The `relayer` section for the dev gateway. */
  readonly config: NonNullable<TurnpikeConfigInput['relayer']>;
}

export async function setUpDevRelayer(options: DevRelayerOptions): Promise<DevRelayer> {
  const keys: Hex[] = Array.from({ length: options.keys ?? 4 }, () => generatePrivateKey());
  const contracts = await deployDemoContracts({
    rpcUrl: options.rpcUrl,
    signerKeys: keys,
    mintPerSigner: MINT_PER_SIGNER,
    tokenName: 'Turnpike Demo',
    tokenSymbol: DEV_TOKEN_NAME,
  });
  process.env[DEV_RELAYER_KEYS_ENV] = keys.join(',');
  return {
    token: contracts.token,
    batchContract: contracts.batchContract,
    config: {
      enabled: true,
      network: options.network,
      keys: { env: DEV_RELAYER_KEYS_ENV },
      batchContract: contracts.batchContract,
      tokens: { [DEV_TOKEN_NAME]: contracts.token },
      defaultToken: DEV_TOKEN_NAME,
      // anvil mines each transaction at once: poll receipts often so transfers confirm quickly.
      pollMs: 200,
    },
  };
}

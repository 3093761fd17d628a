/**
 * Builds and starts the relayer engine of one process: loads the signing keys, makes the EVM
 * chain adapter on top of the configured network's pipeline, and starts the key pool.
 */
import { effectiveSettings } from '../config/effective-settings.js';
import type { TurnpikeConfig } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../logging/logger.js';
import type { Network } from '../network/network.js';
import { EvmChain } from './chains/evm/evm-chain.js';
import { RelayerEngine } from './engine/engine.js';
import { loadPrivateKeys } from './keys/load-keys.js';
import type { RelayerStore } from './relayer-store.js';

export interface OpenEngineOptions {
  readonly config: TurnpikeConfig;
  readonly networks: ReadonlyMap<string, Network>;
  readonly store: RelayerStore;
  readonly log: Logger;
  readonly share?: { readonly index: number; readonly count: number };
}

export async function openRelayerEngine(options: OpenEngineOptions): Promise<RelayerEngine> {
  const config = options.config.relayer;
  // The engine gets the webhook secret as settled by config (TURNPIKE_WEBHOOK_SECRET wins).
  const webhookSecret = effectiveSettings(options.config).webhookSecret;
  const relayer =
    config.webhook === undefined || webhookSecret === undefined
      ? config
      : { ...config, webhook: { ...config.webhook, secret: webhookSecret } };
  const network = options.networks.get(relayer.network ?? '');
  if (network === undefined || relayer.batchContract === undefined)
    throw new GatewayError('ERR_CONFIG_INVALID', 'relayer: network and batchContract are required');
  const privateKeys = await loadPrivateKeys({
    env: relayer.keys.env,
    ...(relayer.keys.file !== undefined && { file: relayer.keys.file }),
  }).catch((err: unknown) => {
    // KeyLoadError messages name keys by position only, never by value.
    throw new GatewayError('ERR_CONFIG_INVALID', `relayer.keys: ${(err as Error).message}`, { cause: err });
  });
  if (privateKeys.length === 0)
    throw new GatewayError(
      'ERR_CONFIG_INVALID',
      `relayer: no signing keys; set $${relayer.keys.env} or relayer.keys.file (or relayer.engine: false to accept only)`,
    );
  const rpc = (method: string, params: readonly unknown[]) => network.call(method, params);
  // The config refuses a NEAR network as the relayer's, so a configured chain id is an integer.
  const configured = network.config.chainId;
  const chainId =
    typeof configured === 'number' ? configured : Number.parseInt(String(await rpc('eth_chainId', [])), 16);
  const chain = new EvmChain({ rpc, chainId, batchContract: relayer.batchContract, privateKeys });
  const engine = new RelayerEngine({
    config: relayer,
    store: options.store,
    chain,
    log: options.log,
    ...(options.share !== undefined && { share: options.share }),
  });
  await engine.start();
  return engine;
}

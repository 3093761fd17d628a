/**
 * The transfer rules of one config: its tokens, limits and the body schemas they make
 * (transfer-schemas.ts), built and compiled once when the API starts rather than per request.
 */
import type { RelayerConfig } from '../../config/schema.js';
import { type CompiledSchema, compileSchema } from '../../http/compile-schema.js';
import { type TransferBodySchemas, type TransferLimits, transferBodySchemas } from './transfer-schemas.js';

/** What the body checks need from `relayer`, precomputed once. */
export interface TransferRules extends TransferLimits {
  /** The body schemas, compiled for the hot intake (http/compile-schema.ts). */
  readonly bodies: { readonly [K in keyof TransferBodySchemas]: CompiledSchema<TransferBodySchemas[K]> };
}

export function transferRules(
  config: Pick<RelayerConfig, 'tokens' | 'maxTransfersPerRequest' | 'maxMemoBytes'>,
): TransferRules {
  const tokens = new Map<string, string>();
  for (const [name, address] of Object.entries(config.tokens)) {
    tokens.set(name, address.toLowerCase());
    tokens.set(address.toLowerCase(), address.toLowerCase());
  }
  const limits = {
    tokens,
    maxTransfersPerRequest: config.maxTransfersPerRequest,
    maxMemoBytes: config.maxMemoBytes,
  };
  const schemas = transferBodySchemas(limits);
  return {
    ...limits,
    bodies: {
      single: compileSchema(schemas.single),
      batch: compileSchema(schemas.batch),
      sendFtSingle: compileSchema(schemas.sendFtSingle),
      sendFtBatch: compileSchema(schemas.sendFtBatch),
    },
  };
}

/**
 * What the relayer API's routes take, for its route table and OpenAPI document: the very schema
 * objects the intake validates with (transfer-schemas.ts; the bodies as transfer-fields.ts
 * compiled them, the wait query as wait-answers.ts keeps it), built from one config, so the
 * document states this deployment's limits and cannot disagree with what is checked.
 */
import { z } from 'zod';
import type { RelayerWaitConfig } from '../../config/schema.js';
import type { TransferRules } from './transfer-fields.js';
import { listQuerySchema } from './transfer-schemas.js';
import { type WaitQuerySchema, waitQueryOf } from './wait-answers.js';

type Bodies = { readonly [K in keyof TransferRules['bodies']]: TransferRules['bodies'][K]['schema'] };

export interface RelayerRequestSchemas {
  /** One transfer of a `POST /v1/transfers` batch (the `TransferInput` component). */
  readonly transferInput: Bodies['batch']['shape']['transfers']['element'];
  /** The two forms of a `POST /v1/transfers` body. */
  readonly transferRequest: z.ZodUnion<readonly [Bodies['single'], Bodies['batch']]>;
  /** The two forms of a `POST /send-ft` body. */
  readonly sendFtRequest: z.ZodUnion<readonly [Bodies['sendFtSingle'], Bodies['sendFtBatch']]>;
  readonly waitQuery: WaitQuerySchema;
  readonly listQuery: typeof listQuerySchema;
}

/**
 * The intake picks a body's form by its `transfers` field (transfer-body.ts) and checks it with
 * that form's schema; the unions only show the forms side by side and validate nothing.
 */
export function relayerRequestSchemas(
  rules: Pick<TransferRules, 'bodies'>,
  wait: RelayerWaitConfig,
): RelayerRequestSchemas {
  const { single, batch, sendFtSingle, sendFtBatch } = rules.bodies;
  return {
    transferInput: batch.schema.shape.transfers.element,
    transferRequest: z.union([single.schema, batch.schema]),
    sendFtRequest: z.union([sendFtSingle.schema, sendFtBatch.schema]),
    waitQuery: waitQueryOf(wait),
    listQuery: listQuerySchema,
  };
}

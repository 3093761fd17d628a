/**
 * The one place the pipeline (and its HTTP route) turns what was thrown into a GatewayError: an
 * ERR_INTERNAL is a bug, logged here with its stack (docs/errors.md) before any answer carries it.
 */
import { type GatewayError, toGatewayError } from '../errors/gateway-error.js';
import type { PipelineCall } from './pipeline-call.js';

export function failure(call: PipelineCall, err: unknown): GatewayError {
  const error = toGatewayError(err);
  if (error.code === 'ERR_INTERNAL') logInternal(call, error, err);
  return error;
}

export function logInternal(call: PipelineCall, error: GatewayError, err: unknown): void {
  call.log.error(
    { err, requestId: call.requestId, network: call.network.name, code: error.code },
    'JSON-RPC request failed with an internal error',
  );
}

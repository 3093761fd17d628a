/**
 * Auth, the pipeline's first stage (tenancy on only): the API key or client IP becomes the call's
 * Access, before the body is read. Synchronous unless the key has to be looked up.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { RequestHeaders } from '../http/exchange.js';
import type { Access } from '../tenancy/access.js';
import type { Tenancy } from '../tenancy/tenancy.js';
import type { PipelineCall } from './pipeline-call.js';

/**
 * Authenticates the call; throws the refusal (401, …). Returns the pending lookup when the key
 * is not known in-process: hand what it settles with to `authenticated`.
 */
export function authenticate(
  call: PipelineCall,
  tenancy: Tenancy,
  path: string,
  headers: RequestHeaders,
  clientIp: string | undefined,
  started: number,
): Promise<Access | GatewayError> | undefined {
  const found = tenancy.authenticate(call.network.name, path, headers, clientIp);
  if (found instanceof Promise) return found;
  authenticated(call, found, started);
  return undefined;
}

/** The auth stage's outcome: the call's Access, or the refusal thrown. */
export function authenticated(call: PipelineCall, found: Access | GatewayError, started: number): void {
  call.timing.authMs = performance.now() - started;
  if (found instanceof GatewayError) throw found;
  call.access = found;
}

/** One configured network: its upstreams, health, and the forward pipeline for its requests. */
import type { NetworkConfig } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { MethodRule } from '../rpc/methods/method-rule.js';
import { ruleFor } from '../rpc/methods/rules.js';
import { resultResponse } from '../rpc/serialize.js';
import type { RpcRequest } from '../rpc/types.js';
import {
  type HealthLogger,
  HealthMonitor,
  type ProbeReport,
  type SharedProbing,
} from '../upstream/health.js';
import { Upstream } from '../upstream/upstream.js';
import { type ForwardContext, type ForwardResult, type ForwardTiming, forward } from './forward.js';

export class Network {
  readonly upstreams: readonly Upstream[];
  readonly health: HealthMonitor;
  private readonly forwardContext: ForwardContext;

  constructor(
    readonly name: string,
    readonly config: NetworkConfig,
    log: HealthLogger,
    probing?: SharedProbing,
  ) {
    this.upstreams = config.upstreams.map(
      (upstream, index) => new Upstream(upstream, index, name, config, this),
    );
    this.health = new HealthMonitor(
      name,
      this.upstreams,
      config.health,
      config.chainId,
      log,
      config.failsafe.attemptTimeoutMs,
      probing,
    );
    this.forwardContext = {
      network: name,
      owner: this,
      upstreams: this.upstreams,
      failsafe: config.failsafe,
      onResult: (upstream, rule, result, request) => this.learn(upstream, rule, result, request),
    };
  }

  /** What another cluster worker's probe learned about one of this network's upstreams. */
  applyProbeReport(upstreamId: string, report: ProbeReport): void {
    this.health.apply(upstreamId, report);
  }

  async start(): Promise<void> {
    await this.health.checkChainIds();
    await this.health.tick(Number.POSITIVE_INFINITY);
    this.health.start();
  }

  /** Ready when at least one upstream can take traffic (and has proved its chain id, when checked). */
  isReady(): boolean {
    const mustKnowChain = this.config.health.checkChainId;
    return this.upstreams.some(
      (upstream) => upstream.isAvailable() && (!mustKnowChain || upstream.chainId !== undefined),
    );
  }

  /** Forwards one request; the body is the exact bytes to send upstream. */
  handle(request: RpcRequest, timing: ForwardTiming): Promise<ForwardResult> | ForwardResult {
    const rule = ruleFor(request.method);
    if (rule.unsupported !== undefined) {
      return {
        ok: false,
        error: new GatewayError(
          'ERR_METHOD_NOT_SUPPORTED',
          `${request.method} is not supported over HTTP: ${rule.unsupported}`,
        ),
      };
    }
    if (request.method === 'eth_chainId' && this.health.expectedChainId !== undefined) {
      const chainId = `0x${this.health.expectedChainId.toString(16)}`;
      return { ok: true, body: resultResponse(request.id ?? null, chainId), rpcError: false };
    }
    // Notifications still execute upstream; a synthetic id lets us see whether they succeeded.
    // Ids like 2^64 get one too (many nodes reject them); rpc-route splices the original back.
    const body =
      request.id === undefined || request.rawId !== undefined ? withSyntheticId(request) : request.raw;
    return forward(this.forwardContext, request, body, rule, timing);
  }

  private learn(upstream: Upstream, rule: MethodRule, result: unknown, request: RpcRequest): void {
    if (rule.reportsHead === undefined) return;
    const head = rule.reportsHead(result, request);
    if (head === undefined) return;
    const before = upstream.head;
    upstream.noteHead(head, Date.now());
    if (upstream.head !== before) this.health.updateLag();
  }

  async close(): Promise<void> {
    this.health.stop();
    await Promise.all(this.upstreams.map((upstream) => upstream.close()));
  }
}

function withSyntheticId(request: RpcRequest): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: 'turnpike-notification',
    method: request.method,
    params: request.params,
  });
}

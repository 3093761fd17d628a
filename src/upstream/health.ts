/**
 * Health of one network's upstreams: chain id checked at start, heads learned from real
 * traffic, probes only for upstreams that have been idle (probes cost money on paid
 * providers), and exclusion of upstreams lagging behind the highest head. A failed probe, a
 * half-open breaker or a broken pooled connection gets a quick follow-up probe, so a dead
 * upstream is found (and a revived one readmitted) within a second, not a probe interval.
 */
import type { HealthConfig } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import { type ProbeEvent, probeChannel } from '../events/channels.js';
import { classifyResponse } from './classify-response.js';
import { failureReason } from './failure-reason.js';
import { type ChainId, type HealthProbes, probesOf } from './health-probes.js';
import { type HealthState, SharedHealth } from './shared-health.js';
import type { Upstream } from './upstream.js';

/** Delay of a follow-up probe (capped by the probe interval). */
const FOLLOW_UP_MS = 250;
/**
 * Failed probes in a row that open the breaker. A probe is a deliberate check of an idle
 * upstream, so two are evidence enough; traffic needs `breaker.consecutiveFailures`.
 */
const PROBE_FAILURES_TO_OPEN = 2;

type CallResult =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: GatewayError };

export interface HealthLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

/**
 * What a worker learned about one upstream, for the other processes of a cluster: the prober's
 * heads and chain ids, and any worker's change of the upstream's up/down state.
 */
export interface ProbeReport {
  readonly head?: number;
  readonly chainId?: ChainId;
  readonly health?: HealthState;
}

/**
 * Probing shared by the workers of a cluster: one worker probes and tells the others, so an idle
 * upstream gets one probe per interval, not one per core (probes cost money on paid providers).
 */
export interface SharedProbing {
  /** Whether this process runs the periodic probes; all of them check once at start. */
  readonly probes: boolean;
  /** Receives what each probe learned (the cluster relays it to the other workers). */
  readonly publish?: (upstream: string, report: ProbeReport) => void;
}

export class HealthMonitor {
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private stopped = false;
  private readonly inflight = new Set<Upstream>();
  private readonly followUps = new Map<Upstream, { timer: NodeJS.Timeout; dueAt: number }>();
  /** Failed probes in a row per upstream, while its breaker is closed. */
  private readonly probeFailures = new Map<Upstream, number>();
  /** Up/down sharing between cluster workers; undefined outside a cluster. */
  private readonly sharedHealth: SharedHealth | undefined;
  /** The chain id every upstream must report (configured, or learned from the majority). */
  expectedChainId: ChainId | undefined;

  constructor(
    private readonly network: string,
    private readonly upstreams: readonly Upstream[],
    private readonly config: HealthConfig,
    configuredChainId: ChainId | undefined,
    private readonly log: HealthLogger,
    private readonly timeoutMs: number,
    private readonly shared: SharedProbing = { probes: true },
    /** The chain family's chain id and head questions. */
    private readonly probes: HealthProbes = probesOf('evm'),
  ) {
    this.expectedChainId = configuredChainId;
    const publish = shared.publish;
    if (publish !== undefined)
      this.sharedHealth = new SharedHealth(upstreams, shared.probes, (upstream, health) =>
        publish(upstream.id, { health }),
      );
  }

  start(): void {
    if (!this.shared.probes) return;
    this.timer ??= setInterval(() => void this.tick(), this.config.probeIntervalMs);
    this.timer.unref();
    // A node that died (or restarted) closes its pooled connections: check it at once.
    for (const upstream of this.upstreams) upstream.onConnectionLost = () => this.followUp(upstream, 0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const { timer } of this.followUps.values()) clearTimeout(timer);
    this.followUps.clear();
    for (const upstream of this.upstreams) upstream.onConnectionLost = undefined;
  }

  /** Asks every upstream for its chain id; mismatches are excluded with a log line. */
  async checkChainIds(): Promise<void> {
    if (!this.config.checkChainId) return;
    await Promise.all(this.upstreams.map((upstream) => this.fetchChainId(upstream)));
    if (this.expectedChainId === undefined) this.expectedChainId = majority(this.upstreams);
    for (const upstream of this.upstreams) this.judgeChainId(upstream);
  }

  private async fetchChainId(upstream: Upstream): Promise<void> {
    const call = await this.call(upstream, this.probes.chainIdMethod);
    const chainId = call.ok ? this.probes.chainIdOf(call.result) : undefined;
    if (chainId !== undefined) {
      upstream.chainId = chainId;
      this.report(upstream, { chainId });
    }
  }

  /** Only the probing process shares: the others' start-up checks would just echo it. */
  private report(upstream: Upstream, report: ProbeReport): void {
    if (this.shared.probes) this.shared.publish?.(upstream.id, report);
  }

  /** Applies what another worker's probe learned, as if this process had probed. */
  apply(upstreamId: string, report: ProbeReport): void {
    const upstream = this.upstreams.find((candidate) => candidate.id === upstreamId);
    if (upstream === undefined) return;
    if (report.chainId !== undefined) {
      upstream.chainId = report.chainId;
      if (this.expectedChainId === undefined) this.expectedChainId = majority(this.upstreams);
      this.judgeChainId(upstream);
    }
    if (report.head !== undefined) {
      upstream.noteHead(report.head, Date.now());
      this.updateLag();
    }
    if (report.health !== undefined) {
      this.sharedHealth?.apply(upstream, report.health);
      // The prober tries it again as soon as it half-opens.
      if (upstream.breaker.state === 'open') this.followUp(upstream, upstream.breaker.reopensInMs);
    }
  }

  private judgeChainId(upstream: Upstream): void {
    if (upstream.chainId === undefined || this.expectedChainId === undefined) return;
    const mismatch = upstream.chainId !== this.expectedChainId;
    if (mismatch && !upstream.chainIdMismatch) {
      this.log.warn(
        {
          network: this.network,
          upstream: upstream.id,
          expected: this.expectedChainId,
          got: upstream.chainId,
        },
        `upstream ${upstream.id} reports chain id ${upstream.chainId}, expected ${this.expectedChainId}: excluded`,
      );
    }
    upstream.chainIdMismatch = mismatch;
  }

  /** Re-evaluates block lag after any head changed. */
  updateLag(): void {
    const maxLag = this.config.maxBlockLag;
    if (maxLag === 0) return;
    let highest = -1;
    for (const upstream of this.upstreams) {
      if (!upstream.chainIdMismatch && upstream.head > highest) highest = upstream.head;
    }
    for (const upstream of this.upstreams) {
      const lagging = upstream.head >= 0 && highest - upstream.head > maxLag;
      if (lagging !== upstream.lagging) {
        this.log.info(
          { network: this.network, upstream: upstream.id, head: upstream.head, highest },
          lagging
            ? `upstream ${upstream.id} lags ${highest - upstream.head} blocks: excluded`
            : `upstream ${upstream.id} caught up`,
        );
        upstream.lagging = lagging;
      }
    }
  }

  /** One health round: probe idle upstreams (and ones whose head went stale), re-check chain ids. */
  async tick(now = Date.now()): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      const interval = this.config.probeIntervalMs;
      const due = this.upstreams.filter(
        (upstream) =>
          now - upstream.lastUsedAt >= interval ||
          (this.config.maxBlockLag > 0 && now - upstream.headSeenAt >= interval) ||
          (this.config.checkChainId && (upstream.chainId === undefined || upstream.chainIdMismatch)),
      );
      await Promise.all(due.map((upstream) => this.probe(upstream)));
      this.updateLag();
    } finally {
      this.probing = false;
    }
  }

  private async probe(upstream: Upstream): Promise<void> {
    if (this.inflight.has(upstream)) return;
    // An open breaker is left alone until it half-opens; then a probe is its trial request.
    if (upstream.breaker.state === 'open') return this.followUp(upstream, upstream.breaker.reopensInMs);
    this.inflight.add(upstream);
    try {
      await this.probeOnce(upstream);
    } finally {
      this.inflight.delete(upstream);
    }
  }

  private async probeOnce(upstream: Upstream): Promise<void> {
    const needsChainId =
      this.config.checkChainId && (upstream.chainId === undefined || upstream.chainIdMismatch);
    if (needsChainId) {
      // Unknown, or wrong (a node can be repointed): ask again, and only that.
      await this.fetchChainId(upstream);
      if (this.expectedChainId === undefined) this.expectedChainId = majority(this.upstreams);
      this.judgeChainId(upstream);
      if (upstream.chainIdMismatch) return;
    }
    const { breaker } = upstream;
    if (!breaker.tryAcquire()) return;
    const started = performance.now();
    const method = this.config.probeMethod ?? this.probes.headMethod;
    const call = await this.call(upstream, method);
    if (!call.ok) {
      upstream.lastFailure = failureReason(call.error);
      const wasClosed = breaker.state === 'closed';
      breaker.recordFailure();
      if (!wasClosed || breaker.state !== 'closed') return;
      const failures = (this.probeFailures.get(upstream) ?? 0) + 1;
      if (failures >= PROBE_FAILURES_TO_OPEN) {
        this.probeFailures.delete(upstream);
        breaker.forceOpen();
        this.followUp(upstream, breaker.reopensInMs);
      } else {
        this.probeFailures.set(upstream, failures);
        this.followUp(upstream);
      }
      return;
    }
    this.probeFailures.delete(upstream);
    breaker.recordSuccess();
    upstream.latency.record(performance.now() - started);
    // Half-open: the next trial follows at once rather than a probe interval later.
    if (breaker.state === 'half-open') this.followUp(upstream);
    const { result } = call;
    if (method === this.probes.headMethod) {
      const head = this.probes.headOf(result);
      if (head !== undefined) {
        upstream.noteHead(head, Date.now());
        this.report(upstream, { head });
      }
    }
  }

  /** One more probe of `upstream` soon (the probing process only; one pending per upstream). */
  private followUp(upstream: Upstream, delayMs = Math.min(FOLLOW_UP_MS, this.config.probeIntervalMs)): void {
    if (!this.shared.probes || this.stopped || !Number.isFinite(delayMs)) return;
    // A sooner follow-up replaces a later one.
    const pending = this.followUps.get(upstream);
    if (pending !== undefined) {
      if (pending.dueAt <= Date.now() + delayMs) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.followUps.delete(upstream);
      void this.probe(upstream).then(() => this.updateLag());
    }, delayMs);
    timer.unref();
    this.followUps.set(upstream, { timer, dueAt: Date.now() + delayMs });
  }

  private async call(upstream: Upstream, method: string): Promise<CallResult> {
    let call: CallResult;
    try {
      const body = `{"jsonrpc":"2.0","id":1,"method":"${method}","params":[]}`;
      const reply = await upstream.send(body, this.timeoutMs);
      const outcome = classifyResponse(reply.status, reply.body, upstream.id);
      if (outcome.kind === 'result') return { ok: true, result: outcome.result };
      call = {
        ok: false,
        error:
          outcome.kind === 'failure'
            ? outcome.error
            : new GatewayError(
                'ERR_UPSTREAM_NODE_ERROR',
                `upstream ${upstream.id} answered ${method} with error ${outcome.code}: ${outcome.message}`,
              ),
      };
    } catch (err) {
      call = {
        ok: false,
        error: err instanceof GatewayError ? err : new GatewayError('ERR_UPSTREAM_CONNECT', String(err)),
      };
    }
    if (probeChannel.hasSubscribers) {
      const event: ProbeEvent = {
        owner: upstream.owner,
        network: this.network,
        upstream: upstream.id,
        outcome: call.error.code,
        reason: failureReason(call.error),
      };
      probeChannel.publish(event);
    }
    return call;
  }
}

function majority(upstreams: readonly Upstream[]): ChainId | undefined {
  const counts = new Map<ChainId, number>();
  for (const upstream of upstreams) {
    if (upstream.chainId !== undefined) counts.set(upstream.chainId, (counts.get(upstream.chainId) ?? 0) + 1);
  }
  let best: ChainId | undefined;
  let bestCount = 0;
  for (const [chainId, count] of counts) {
    if (count > bestCount) {
      best = chainId;
      bestCount = count;
    }
  }
  return best;
}

/**
 * Health of one network's upstreams: chain id checked at start, heads learned from real
 * traffic, probes only for upstreams that have been idle (probes cost money on paid
 * providers), and exclusion of upstreams lagging behind the highest head.
 */
import type { HealthConfig } from '../config/schema.js';
import { classifyResponse } from './classify-response.js';
import type { Upstream } from './upstream.js';

export interface HealthLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

/** What a probe learned about one upstream, for the other processes of a cluster. */
export interface ProbeReport {
  readonly head?: number;
  readonly chainId?: number;
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
  /** The chain id every upstream must report (configured, or learned from the majority). */
  expectedChainId: number | undefined;

  constructor(
    private readonly network: string,
    private readonly upstreams: readonly Upstream[],
    private readonly config: HealthConfig,
    configuredChainId: number | undefined,
    private readonly log: HealthLogger,
    private readonly timeoutMs: number,
    private readonly shared: SharedProbing = { probes: true },
  ) {
    this.expectedChainId = configuredChainId;
  }

  start(): void {
    if (!this.shared.probes) return;
    this.timer ??= setInterval(() => void this.tick(), this.config.probeIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Asks every upstream for its chain id; mismatches are excluded with a log line. */
  async checkChainIds(): Promise<void> {
    if (!this.config.checkChainId) return;
    await Promise.all(this.upstreams.map((upstream) => this.fetchChainId(upstream)));
    if (this.expectedChainId === undefined) this.expectedChainId = majority(this.upstreams);
    for (const upstream of this.upstreams) this.judgeChainId(upstream);
  }

  private async fetchChainId(upstream: Upstream): Promise<void> {
    const result = await this.call(upstream, 'eth_chainId');
    if (typeof result === 'string' && result.startsWith('0x')) {
      upstream.chainId = Number.parseInt(result, 16);
      this.report(upstream, { chainId: upstream.chainId });
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
    // An open breaker is left alone until it half-opens; then the probe is its trial request.
    if (upstream.breaker.state === 'open') return;
    const needsChainId =
      this.config.checkChainId && (upstream.chainId === undefined || upstream.chainIdMismatch);
    if (needsChainId) {
      // Unknown, or wrong (a node can be repointed): ask again, and only that.
      await this.fetchChainId(upstream);
      if (this.expectedChainId === undefined) this.expectedChainId = majority(this.upstreams);
      this.judgeChainId(upstream);
      if (upstream.chainIdMismatch) return;
    }
    if (!upstream.breaker.tryAcquire()) return;
    const started = performance.now();
    const result = await this.call(upstream, this.config.probeMethod);
    if (result === undefined) {
      upstream.breaker.recordFailure();
      return;
    }
    upstream.breaker.recordSuccess();
    upstream.latency.record(performance.now() - started);
    if (this.config.probeMethod === 'eth_blockNumber' && typeof result === 'string') {
      const head = Number.parseInt(result, 16);
      upstream.noteHead(head, Date.now());
      if (Number.isSafeInteger(head)) this.report(upstream, { head });
    }
  }

  private async call(upstream: Upstream, method: string): Promise<unknown> {
    try {
      const body = `{"jsonrpc":"2.0","id":1,"method":"${method}","params":[]}`;
      const reply = await upstream.send(body, this.timeoutMs);
      const outcome = classifyResponse(reply.status, reply.body, upstream.id);
      return outcome.kind === 'result' ? outcome.result : undefined;
    } catch {
      return undefined;
    }
  }
}

function majority(upstreams: readonly Upstream[]): number | undefined {
  const counts = new Map<number, number>();
  for (const upstream of upstreams) {
    if (upstream.chainId !== undefined) counts.set(upstream.chainId, (counts.get(upstream.chainId) ?? 0) + 1);
  }
  let best: number | undefined;
  let bestCount = 0;
  for (const [chainId, count] of counts) {
    if (count > bestCount) {
      best = chainId;
      bestCount = count;
    }
  }
  return best;
}

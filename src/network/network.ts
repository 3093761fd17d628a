/** One configured network: its upstreams, health, and the forward pipeline for its requests. */
import type { CacheStore } from '../cache/cache-store.js';
import { ChainTracker, type ChainWatcher } from '../cache/chain-tracker.js';
import type { BlockHeader, ReorgEvent } from '../cache/chain-view.js';
import type { FillLock } from '../cache/fill-lock.js';
import { NearFinalHead } from '../cache/near-final-head.js';
import { nearCachePlanner } from '../cache/near-policy.js';
import { type CachedResult, NetworkCache } from '../cache/network-cache.js';
import type { NetworkConfig } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { MethodRule } from '../rpc/methods/method-rule.js';
import type { ChainFamily, MethodEntry, MethodTable } from '../rpc/methods/method-table.js';
import { methodsOf } from '../rpc/methods/rules.js';
import type { RpcRequest } from '../rpc/types.js';
import type { ForwardResult, ForwardTiming } from '../upstream/forward-result.js';
import {
  type HealthLogger,
  HealthMonitor,
  type ProbeReport,
  type SharedProbing,
} from '../upstream/health.js';
import { probesOf } from '../upstream/health-probes.js';
import type { RequestRoute } from '../upstream/request-route.js';
import { Upstream } from '../upstream/upstream.js';
import { chainDependent } from './chain-dependent.js';
import { type ForwardContext, forward } from './forward.js';
import { HeadWatcher } from './head-watcher.js';
import { answerLocally } from './local-answer.js';
import { LogSplitter } from './log-split.js';
import { NotYetRetry } from './not-yet-retry.js';
import {
  blockHeader,
  callResult,
  ownRequest,
  parseResult,
  READ,
  type RpcParams,
  untimed,
  upstreamBody,
} from './own-requests.js';
import { TrackerStart } from './tracker-start.js';

/** What a network needs to cache its answers (shared tiers, built by the gateway). */
export interface NetworkCacheDeps {
  /** Undefined when the gateway has no cache tiers (no network caches). */
  readonly store?: CacheStore | undefined;
  readonly fillLock?: FillLock;
  /** Told about every reorg after the orphaned entries were dropped (metrics, logs). */
  readonly onReorg?: (event: ReorgEvent, invalidated: number) => void;
  readonly onTrackerError?: (err: unknown) => void;
  /** Told when an upstream's WebSocket head subscription comes up or goes down. */
  readonly onHeadSource?: (upstream: string, alive: boolean, why?: string) => void;
}

/** How long after a write eth_blockNumber is asked of an upstream while the head has not moved. */
const WRITE_DOUBT_MS = 2_000;

export class Network {
  readonly upstreams: readonly Upstream[];
  readonly health: HealthMonitor;
  /** Undefined when the network's cache is off or the gateway has no cache. */
  readonly cache: NetworkCache | undefined;
  /**
   * Every network has one, cache or not (the realtime feed follows it); it polls only once
   * started: by a chain-dependent cacheable request, or by `followChain`.
   */
  readonly tracker: ChainTracker;
  /** WebSocket heads from the upstreams with a `wsUrl`, held while the tracker has watchers. */
  readonly heads: HeadWatcher;
  readonly family: ChainFamily;
  /** NEAR networks: the last final block, for the cache (undefined on EVM networks). */
  readonly nearFinal: NearFinalHead | undefined;
  /** The family's method table (rules, cache policy, prices). */
  private readonly methods: MethodTable;
  /**
   * The tracker's reads of the head started when a write last went through, or an answer named
   * a block above its head: the chain may be past what those reads saw, so eth_blockNumber goes
   * to an upstream until a read started after that one is done (a client must never see a block
   * number below the block of a receipt it was just given; ethers' waitForTransaction then
   * waits forever for a block event it has already had).
   */
  private headDoubtedAfter = 0;
  /** After a write: eth_blockNumber goes upstream until the tracker's head reaches this height… */
  private writeHeight = 0;
  /** …or until this time (epoch ms): a real chain may take a block time to include it. */
  private writeDoubtUntil = 0;
  private readonly trackerStart: TrackerStart;
  private readonly forwardContext: ForwardContext;
  /** Undefined when `notYetRetry.enabled` is false. */
  private readonly notYet: NotYetRetry | undefined;
  /** Undefined when `logSplit.enabled` is false. */
  private readonly logSplit: LogSplitter | undefined;

  constructor(
    readonly name: string,
    readonly config: NetworkConfig,
    log: HealthLogger,
    probing?: SharedProbing,
    cacheDeps?: NetworkCacheDeps,
  ) {
    this.family = config.type;
    this.methods = methodsOf(config.type);
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
      probesOf(config.type),
    );
    this.forwardContext = {
      network: name,
      owner: this,
      upstreams: this.upstreams,
      failsafe: config.failsafe,
      onResult: (upstream, rule, result, request) => this.learn(upstream, rule, result, request),
    };
    this.notYet = config.notYetRetry.enabled
      ? new NotYetRetry(this.forwardContext, config.notYetRetry)
      : undefined;
    this.logSplit = config.logSplit.enabled
      ? new LogSplitter(
          {
            upstreams: this.upstreams,
            failsafe: config.failsafe,
            head: () => this.highestHead(),
            fetch: (part, timing, route) => this.serveRead(part, this.ruleOf(part.method), timing, route),
          },
          config.logSplit,
          config.upstreams.map((upstream) => upstream.logs),
        )
      : undefined;
    const cacheConfig = config.cache;
    let cache: NetworkCache | undefined;
    this.heads = new HeadWatcher({
      upstreams: this.upstreams,
      nudge: (hint) => this.tracker.nudge(hint),
      ...(cacheDeps?.onHeadSource !== undefined && { onState: cacheDeps.onHeadSource }),
    });
    this.tracker = new ChainTracker({
      network: name,
      fetchBlock: (ref) => this.fetchBlock(ref),
      finality: cacheConfig.finality,
      depth: cacheConfig.depth,
      pollMs: cacheConfig.headPollMs,
      onReorg: (event) => {
        if (cache !== undefined && cacheDeps !== undefined)
          void cache.invalidate(event.orphaned).then((dropped) => cacheDeps.onReorg?.(event, dropped));
      },
      // Sockets only while someone follows the chain: the cache alone keeps polling as before.
      onWatched: (watched) => (watched ? this.heads.start() : this.heads.stop()),
      ...(cacheDeps?.onTrackerError !== undefined && { onError: cacheDeps.onTrackerError }),
    });
    this.trackerStart = new TrackerStart(this.tracker, config.failsafe.attemptTimeoutMs);
    this.nearFinal =
      config.type === 'near'
        ? new NearFinalHead({
            fetchFinalBlock: () => this.read('block', { finality: 'final' }),
            pollMs: cacheConfig.headPollMs,
            ...(cacheDeps?.onTrackerError !== undefined && { onError: cacheDeps.onTrackerError }),
          })
        : undefined;
    if (cacheDeps?.store !== undefined && cacheConfig.enabled)
      cache = new NetworkCache(
        name,
        cacheConfig,
        cacheDeps.store,
        this.tracker,
        cacheDeps.fillLock,
        this.nearFinal === undefined
          ? undefined
          : nearCachePlanner(name, cacheConfig, this.nearFinal, (method) => this.ruleOf(method)),
      );
    this.cache = cache;
  }

  /** What another cluster worker learned about one of this network's upstreams (probe, up/down). */
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

  /**
   * Forwards one request; the body is the exact bytes to send upstream. A `route` (consistency
   * sessions and directives) limits where it may go, and may skip the cache and local answers.
   */
  handle(
    request: RpcRequest,
    timing: ForwardTiming,
    route?: RequestRoute,
  ): Promise<CachedResult> | CachedResult {
    const rule = this.ruleOf(request.method);
    if (rule.unsupported !== undefined) {
      return {
        ok: false,
        error: new GatewayError(
          'ERR_METHOD_NOT_SUPPORTED',
          `${request.method} is not supported over HTTP: ${rule.unsupported}`,
        ),
      };
    }
    if (rule.local !== undefined) {
      const head = rule.local === 'chain-id' ? undefined : this.freshHead();
      const answer = answerLocally(rule.local, request, route, this.health.expectedChainId, head);
      if (answer !== undefined) return answer;
    }
    if (this.logSplit !== undefined && request.method === 'eth_getLogs') {
      const split = this.logSplit.serve(request, timing, route);
      if (split !== undefined) return split;
    }
    return this.serveRead(request, rule, timing, route);
  }

  /** The cache (when on and not skipped), then the upstreams. */
  private serveRead(
    request: RpcRequest,
    rule: MethodRule,
    timing: ForwardTiming,
    route: RequestRoute | undefined,
  ): Promise<CachedResult> | CachedResult {
    const cache = route?.skipCache === true ? undefined : this.cache;
    if (cache !== undefined) {
      // The tracker starts with the first request whose caching depends on the chain, so a
      // gateway that is never asked such a thing sends no head polls at all. Such requests wait
      // for its first read (bounded), so the first read of an old block is cached already.
      if (this.trackerStart.waiting) {
        // NEAR networks have no EVM chain tracker to start (their cache reads nearFinal).
        if (this.nearFinal === undefined && chainDependent(request, cache.config.tipTtlMs)) {
          const firstRead = this.trackerStart.start();
          if (firstRead !== undefined)
            return firstRead.then(() => this.serveCached(request, rule, timing, cache, route));
        }
      }
      return this.serveCached(request, rule, timing, cache, route);
    }
    return this.forward(request, rule, timing, route);
  }

  private ruleOf(method: string): MethodEntry {
    const methods = this.methods;
    return methods.entries.get(method) ?? methods.unknown;
  }

  private serveCached(
    request: RpcRequest,
    rule: MethodRule,
    timing: ForwardTiming,
    cache: NetworkCache,
    route: RequestRoute | undefined,
  ): Promise<CachedResult> | CachedResult {
    const plan = cache.plan(request);
    if (plan === undefined) return this.forward(request, rule, timing, route);
    return cache.serve(request, plan, timing, () => this.forward(request, rule, timing, route));
  }

  /**
   * Watches this network's canonical chain (the realtime feed) and starts the tracker if it was
   * not running yet; while watched, upstream WebSocket heads nudge it. Returns the function that
   * stops watching.
   */
  followChain(watcher: ChainWatcher): () => void {
    const stop = this.tracker.watch(watcher);
    void this.trackerStart.start();
    return stop;
  }

  private forward(
    request: RpcRequest,
    rule: MethodRule,
    timing: ForwardTiming,
    route?: RequestRoute,
  ): Promise<ForwardResult> {
    const body = upstreamBody(request);
    const options = route === undefined ? {} : { route };
    const notYet = this.notYet;
    // A request pinned to one upstream (X-Turnpike-Upstream) is never asked again elsewhere.
    if (notYet === undefined || route?.only !== undefined || !notYet.watches(request.method))
      return forward(this.forwardContext, request, body, rule, timing, options);
    const started = performance.now();
    const pending = forward(this.forwardContext, request, body, rule, timing, options);
    return notYet.settle(pending, request, body, timing, started);
  }

  /** The highest head known: the chain tracker's, or the highest an upstream reported. */
  private highestHead(): number {
    let head = this.tracker.head;
    for (const upstream of this.upstreams)
      if (upstream.head > head && !upstream.excluded) head = upstream.head;
    return head;
  }

  /**
   * One JSON-RPC call made by Turnpike itself (the relayer), through this network's pipeline:
   * selection, retries, failover, the cache. Resolves with the result; rejects with the
   * GatewayError of a failed pipeline, or an RpcAnswerError when the node answered an error.
   */
  async call(method: string, params: RpcParams): Promise<unknown> {
    return callResult(method, await this.handle(ownRequest(method, params), untimed()));
  }

  /**
   * One read Turnpike makes of data it knows exists (the subscription feed's headers and logs of
   * blocks the chain tracker saw), through selection, retries and failover but not the cache.
   * Unlike `call`, a JSON-RPC error answer is that node's failure: the read moves on to another
   * upstream, so one node failing a method cannot stall the reader (it would ask the same node
   * again). Rejects with the GatewayError of the failed pipeline.
   */
  async read(method: string, params: RpcParams): Promise<unknown> {
    const request = ownRequest(method, params);
    const result = await forward(
      this.forwardContext,
      request,
      request.raw,
      this.ruleOf(method),
      untimed(),
      READ,
    );
    if (!result.ok) throw result.error;
    return result.parsed === true ? result.result : parseResult(result.body);
  }

  /** The tracker's head when it was read recently enough to answer eth_blockNumber. */
  private freshHead(): number | undefined {
    const tracker = this.tracker;
    const maxAge = this.config.cache.blockNumberMaxAgeMs;
    // A cache-off network runs its tracker for subscriptions only: it answers as before.
    if (this.cache === undefined || maxAge === 0 || tracker.head < 0) return undefined;
    if (tracker.headReadNumber <= this.headDoubtedAfter) return undefined;
    // A write may be mined after the nudged read (anvil answers a send before it mines it).
    if (tracker.head < this.writeHeight && Date.now() < this.writeDoubtUntil) return undefined;
    return Date.now() - tracker.lastHeadAt <= maxAge ? tracker.head : undefined;
  }

  /** One block header through this network's own pipeline (selection, retries, failover). */
  private async fetchBlock(ref: 'latest' | 'finalized' | number): Promise<BlockHeader | undefined> {
    const tag = typeof ref === 'number' ? `0x${ref.toString(16)}` : ref;
    const request = ownRequest('eth_getBlockByNumber', [tag, false]);
    // A read of the chain like the feed's: an error answer is that node's failure (Network.read).
    const rule = this.ruleOf(request.method);
    const result = await forward(this.forwardContext, request, request.raw, rule, untimed(), READ);
    if (!result.ok) throw result.error;
    if (result.rpcError) throw new Error(`eth_getBlockByNumber(${tag}) answered an error`);
    const block = result.parsed === true ? result.result : parseResult(result.body);
    return blockHeader(block);
  }

  private learn(upstream: Upstream, rule: MethodRule, result: unknown, request: RpcRequest): void {
    if (rule.write !== undefined || (rule.reportsBlock?.(result) ?? -1) > this.tracker.head) {
      this.headDoubtedAfter = this.tracker.headReadsStarted;
      if (rule.write === undefined) this.tracker.nudge();
      else {
        // Polls follow up until the chain is a block higher (poll-nudge.ts), within bounds.
        this.writeHeight = this.tracker.head + 1;
        this.writeDoubtUntil = Date.now() + WRITE_DOUBT_MS;
        this.tracker.nudge({ number: this.writeHeight });
      }
    }
    if (rule.reportsHead === undefined) return;
    const head = rule.reportsHead(result, request);
    if (head === undefined) return;
    const before = upstream.head;
    upstream.noteHead(head, Date.now());
    if (upstream.head !== before) this.health.updateLag();
  }

  async close(): Promise<void> {
    this.nearFinal?.stop();
    this.heads.stop();
    await this.tracker.stop();
    this.health.stop();
    await Promise.all(this.upstreams.map((upstream) => upstream.close()));
  }
}

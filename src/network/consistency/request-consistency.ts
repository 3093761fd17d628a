/**
 * Consistency for the items of one HTTP request: builds each item's route from the session (its
 * mark for `latest` reads, its recent sends for reads about them) and the client's directives,
 * runs the item through the network, and learns from the answer (a higher mark, a new send, the
 * block a sent transaction landed in). Attempts are collected for `X-Turnpike-Attempts`.
 */
import type { CachedResult } from '../../cache/network-cache.js';
import type { ResponseHeaders } from '../../http/exchange.js';
import type { RpcRequest } from '../../rpc/types.js';
import type { ForwardTiming } from '../../upstream/forward-result.js';
import type { AttemptRecord, RequestRoute } from '../../upstream/request-route.js';
import type { Upstream } from '../../upstream/upstream.js';
import type { Network } from '../network.js';
import type { Directives } from './directives.js';
import { blockNumberInBody, isTipTag, LatestRead, latestRead, quantity, resultOf } from './latest-reads.js';
import type { SentTransaction } from './recent-writes.js';
import { recoverSender } from './sender.js';
import type { SessionState, SessionStore } from './session-store.js';

const SEND = 'eth_sendRawTransaction';

export class RequestConsistency {
  readonly attempts: AttemptRecord[] | undefined;
  private readonly only: Upstream | undefined;

  constructor(
    private readonly network: Network,
    private readonly store: SessionStore,
    /** The session's key within the network (key id, client IP or X-Turnpike-Session). */
    private readonly session: string,
    private readonly directives: Directives | undefined,
    private readonly readYourWrites: boolean,
    only: Upstream | undefined,
  ) {
    this.only = only;
    this.attempts = directives?.attempts === true ? [] : undefined;
  }

  /** `X-Turnpike-Skip-Cache` or `X-Turnpike-Upstream`: the known-shape fast path is skipped too. */
  get skipsCache(): boolean {
    return this.directives?.skipCache === true || this.only !== undefined;
  }

  /** One item through the network under the session's and the directives' route. */
  async handle(request: RpcRequest, timing: ForwardTiming): Promise<CachedResult> {
    const kind = latestRead(request);
    const method = request.method;
    const known = this.readYourWrites ? this.store.peek(this.session) : undefined;
    let sent = known === undefined ? undefined : this.sentAbout(request, known);
    if (
      sent === undefined &&
      this.readYourWrites &&
      this.store.sharesSends &&
      sendKey(request) !== undefined
    ) {
      // Maybe a send another process (worker or instance) made: its record is in Redis.
      const state = this.store.state(this.session);
      const adopted = this.store.adoptShared(this.session, state, this.network.upstreams);
      if (adopted !== undefined) await adopted;
      sent = this.sentAbout(request, state);
    }
    if (kind === LatestRead.None && sent === undefined && this.directives === undefined && method !== SEND)
      return this.network.handle(request, timing);
    const state = this.store.state(this.session);

    const marked = kind === LatestRead.None ? -1 : this.store.mark(this.session, state);
    const mark = typeof marked === 'number' ? marked : await marked;
    const sender = method === SEND && this.readYourWrites ? recoverSender(request.params) : undefined;
    const senderAddress = sender === undefined ? undefined : await sender;
    const previous = senderAddress === undefined ? undefined : state.writes?.find(senderAddress, Date.now());
    const about = sent ?? previous;
    const route = this.route(kind, mark, about);
    if (mark > 0) this.store.routed.mark++;
    if (about !== undefined) this.store.routed.send++;
    const result = await this.network.handle(request, timing, route);
    if (!result.ok || result.rpcError) return result;

    const served = this.servedBlock(kind, result, route);
    const raised = served < 0 ? undefined : this.store.raise(this.session, state, served);
    const shared =
      method === SEND && route.served !== undefined
        ? this.recordSend(state, result, senderAddress, route.served)
        : undefined;
    if (method !== SEND && sent !== undefined && sent.block < 0) noteBlock(sent, result);
    if (raised !== undefined) await raised;
    if (shared !== undefined) await shared;
    return result;
  }

  /** `X-Turnpike-Attempts`: `id;outcome=ok;ms=1.2, …` (`none` when nothing was sent upstream). */
  writeHeaders(headers: ResponseHeaders): void {
    const attempts = this.attempts;
    if (attempts === undefined) return;
    headers['x-turnpike-attempts'] =
      attempts.length === 0
        ? 'none'
        : attempts.map((a) => `${a.upstream};outcome=${a.outcome};ms=${a.ms.toFixed(1)}`).join(', ');
  }

  private route(kind: LatestRead, mark: number, sent: SentTransaction | undefined): RequestRoute {
    const directives = this.directives;
    // A send's upstream has seen it; once mined, any upstream at or above its block has too.
    const sentBlock = sent === undefined ? -1 : sent.block;
    return {
      only: this.only,
      prefer: sent?.upstream,
      minBlock: directives?.minBlock ?? 0,
      minHead: Math.max(mark, sentBlock),
      maxLag: directives?.maxLag ?? -1,
      // The cache may hold a `latest` answer (tipTtlMs) from before the session's mark.
      // A named upstream is asked for its own answer, not the cache's.
      // A read about a send must not share another request's fill (coalescing), which may be
      // on an upstream that has not seen the transaction.
      skipCache:
        this.skipsCache ||
        sent !== undefined ||
        (kind !== LatestRead.None && mark >= 0 && this.network.config.cache.tipTtlMs > 0),
      attempts: this.attempts,
      served: undefined,
    };
  }

  /** The block the answer reflects: the head, the block's number, or the upstream's known head. */
  private servedBlock(kind: LatestRead, result: CachedResult & { ok: true }, route: RequestRoute): number {
    if (kind === LatestRead.None) return -1;
    if (kind === LatestRead.Head)
      return quantity(result.parsed === true ? result.result : resultOf(result.body));
    if (kind === LatestRead.Block) {
      if (result.parsed === true)
        return quantity((result.result as { number?: unknown } | null | undefined)?.number);
      return blockNumberInBody(result.body);
    }
    return route.served === undefined ? -1 : route.served.head;
  }

  /** The recent send a read is about: a receipt or transaction by hash, a sender's nonce or balance. */
  private sentAbout(request: RpcRequest, state: SessionState): SentTransaction | undefined {
    const writes = state.writes;
    if (writes === undefined) return undefined;
    const key = sendKey(request);
    return key === undefined ? undefined : writes.find(key, Date.now());
  }

  private recordSend(
    state: SessionState,
    result: CachedResult & { ok: true },
    sender: string | undefined,
    upstream: Upstream,
  ): Promise<void> | undefined {
    const hash = result.parsed === true ? result.result : resultOf(result.body);
    if (typeof hash !== 'string') return undefined;
    const at = Date.now();
    this.store.writes(state).record(hash, sender, { upstream, at, block: -1 });
    const keys = sender === undefined ? [hash.toLowerCase()] : [hash.toLowerCase(), sender.toLowerCase()];
    return this.store.shareSend(this.session, keys, upstream, at);
  }
}

/** The hash or address a read about a send names: receipt, transaction, tip nonce or balance. */
function sendKey(request: RpcRequest): unknown {
  const method = request.method;
  const params = Array.isArray(request.params) ? (request.params as unknown[]) : undefined;
  if (params === undefined) return undefined;
  if (method === 'eth_getTransactionReceipt' || method === 'eth_getTransactionByHash') return params[0];
  if ((method === 'eth_getTransactionCount' || method === 'eth_getBalance') && isTipTag(params[1]))
    return params[0];
  return undefined;
}

/** A receipt or transaction read that says which block the sent transaction is in. */
function noteBlock(sent: SentTransaction, result: CachedResult & { ok: true }): void {
  const value = result.parsed === true ? result.result : resultOf(result.body);
  const block = quantity((value as { blockNumber?: unknown } | null | undefined)?.blockNumber);
  if (block >= 0) sent.block = block;
}

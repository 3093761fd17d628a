/**
 * `eth_getLogs` range splitting: a range wider than the upstreams' `logs.maxBlockRange` is cut
 * into parts aligned on multiples of that size (so the same parts recur and hit the cache), the
 * parts are fetched through the network's cache and failsafe with bounded concurrency, and the
 * logs are joined in block order. A part an upstream refuses as too large ("query returned more
 * than N results", "exceed maximum block range"), or whose answer reaches `logs.maxResults`
 * (possibly cut), is halved until it fits or is one block (docs/consistency.md).
 */
import { parseBlockRef } from '../cache/block-ref.js';
import type { CachedResult } from '../cache/network-cache.js';
import type { LogSplitConfig } from '../config/late-reads-schema.js';
import type { FailsafeConfig } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import { resultResponse } from '../rpc/serialize.js';
import type { RpcRequest } from '../rpc/types.js';
import type { ForwardTiming } from '../upstream/forward-result.js';
import { LOGS_TOO_LARGE } from '../upstream/logs-refusal.js';
import type { RequestRoute } from '../upstream/request-route.js';
import type { Upstream } from '../upstream/upstream.js';

export interface LogSplitHost {
  readonly upstreams: readonly Upstream[];
  readonly failsafe: FailsafeConfig;
  /** The highest head known (the chain tracker's or an upstream's), -1 when unknown. */
  head(): number;
  /** One part through the cache and the failsafe, never split again. */
  fetch(
    request: RpcRequest,
    timing: ForwardTiming,
    route?: RequestRoute,
  ): Promise<CachedResult> | CachedResult;
}

interface Range {
  readonly from: number;
  readonly to: number;
}

/** Ends a split request early with this answer (a failed part, or a refusal no halving fixes). */
class PartAnswer {
  constructor(readonly result: CachedResult) {}
}

export class LogSplitter {
  /** Widest part: the smallest `logs.maxBlockRange` of the upstreams (every part fits every one). */
  readonly partBlocks: number;
  /** An answer this long may have been cut: the smallest `logs.maxResults`. */
  readonly maxResults: number;

  constructor(
    private readonly host: LogSplitHost,
    private readonly config: LogSplitConfig,
    limits: readonly { maxBlockRange?: number | undefined; maxResults?: number | undefined }[],
  ) {
    this.partBlocks = Math.min(...limits.map((limit) => limit.maxBlockRange ?? Number.POSITIVE_INFINITY));
    this.maxResults = Math.min(...limits.map((limit) => limit.maxResults ?? Number.POSITIVE_INFINITY));
  }

  /** The answer to an `eth_getLogs` request, split when needed; undefined when it is not a block range. */
  serve(request: RpcRequest, timing: ForwardTiming, route?: RequestRoute): Promise<CachedResult> | undefined {
    const range = this.rangeOf(request.params);
    if (range === undefined) return undefined;
    if (range.to - range.from + 1 > this.partBlocks)
      return this.split(request, range, timing, undefined, route);
    return this.whole(request, range, timing, route);
  }

  /** Within the limit: sent as asked, split only when an upstream refuses it or may have cut it. */
  private async whole(
    request: RpcRequest,
    range: Range,
    timing: ForwardTiming,
    route: RequestRoute | undefined,
  ): Promise<CachedResult> {
    const answer = await this.host.fetch(request, timing, route);
    if (range.from === range.to || !this.tooMuch(answer)) return answer;
    return this.split(request, range, timing, halves(range), route);
  }

  private async split(
    request: RpcRequest,
    range: Range,
    timing: ForwardTiming,
    given: Range[] | undefined,
    route: RequestRoute | undefined,
  ): Promise<CachedResult> {
    const parts = given ?? aligned(range, this.partBlocks);
    const budget = { parts: parts.length, deadline: performance.now() + this.host.failsafe.deadlineMs };
    if (parts.length > this.config.maxParts) return refuse(range, parts.length, this.config.maxParts);
    const filter = request.params as [Record<string, unknown>];
    const gate = new Gate(this.config.concurrency);
    try {
      const lists = await Promise.all(
        parts.map((part) => this.part(filter[0], part, timing, gate, budget, route)),
      );
      const logs = lists.flat();
      return {
        ok: true,
        body: resultResponse(request.id ?? null, logs),
        rpcError: false,
        parsed: true,
        result: logs,
      };
    } catch (err) {
      if (!(err instanceof PartAnswer)) throw err;
      const { result } = err;
      return result.ok && result.rpcError
        ? { ok: true, body: withId(result.body, request), rpcError: true }
        : result;
    }
  }

  private async part(
    filter: Record<string, unknown>,
    range: Range,
    timing: ForwardTiming,
    gate: Gate,
    budget: { parts: number; deadline: number },
    route: RequestRoute | undefined,
  ): Promise<unknown[]> {
    await gate.enter();
    let answer: CachedResult;
    try {
      if (performance.now() >= budget.deadline)
        throw new PartAnswer({
          ok: false,
          error: new GatewayError(
            'ERR_DEADLINE_EXCEEDED',
            `eth_getLogs parts were not all fetched within ${this.host.failsafe.deadlineMs} ms`,
          ),
        });
      answer = await this.host.fetch(partRequest(filter, range), timing, route);
    } finally {
      gate.leave();
    }
    if (range.from < range.to && this.tooMuch(answer)) {
      budget.parts++;
      if (budget.parts > this.config.maxParts)
        throw new PartAnswer(refuse(range, budget.parts, this.config.maxParts));
      const [low, high] = halves(range);
      const [first, second] = await Promise.all([
        this.part(filter, low, timing, gate, budget, route),
        this.part(filter, high, timing, gate, budget, route),
      ]);
      return first.concat(second);
    }
    if (!answer.ok || answer.rpcError) throw new PartAnswer(answer);
    const logs = resultOf(answer);
    if (!Array.isArray(logs)) throw new PartAnswer(answer);
    return logs;
  }

  /** Refused as too large, or as long as an upstream's result cap (so maybe cut). */
  private tooMuch(answer: CachedResult): boolean {
    if (!answer.ok) return false;
    if (answer.rpcError) return answer.body.length < 4096 && LOGS_TOO_LARGE.test(textOf(answer.body));
    if (this.maxResults === Number.POSITIVE_INFINITY) return false;
    const logs = resultOf(answer);
    return Array.isArray(logs) && logs.length >= this.maxResults;
  }

  /** Block numbers of the filter's ends (tags at the known head); undefined when not a plain range. */
  private rangeOf(params: unknown): Range | undefined {
    if (!Array.isArray(params) || params.length !== 1) return undefined;
    const filter = params[0] as Record<string, unknown> | null;
    if (filter === null || typeof filter !== 'object' || filter.blockHash !== undefined) return undefined;
    const from = this.heightOf(filter.fromBlock);
    const to = this.heightOf(filter.toBlock);
    if (from === undefined || to === undefined || from > to) return undefined;
    return { from, to };
  }

  private heightOf(value: unknown): number | undefined {
    if (value === undefined) return this.knownHead();
    const ref = parseBlockRef(value);
    if (ref === undefined || ref.kind === 'hash' || typeof value !== 'string') return undefined;
    if (ref.kind === 'number') return ref.number;
    if (ref.tag === 'earliest') return 0;
    return ref.tag === 'latest' || ref.tag === 'pending' ? this.knownHead() : undefined;
  }

  private knownHead(): number | undefined {
    const head = this.host.head();
    return head < 0 ? undefined : head;
  }
}

/** Parts of at most `size` blocks whose inner bounds are multiples of `size`. */
export function aligned(range: Range, size: number): Range[] {
  const parts: Range[] = [];
  let from = range.from;
  while (from <= range.to) {
    const to = Math.min(range.to, (Math.floor(from / size) + 1) * size - 1);
    parts.push({ from, to });
    from = to + 1;
  }
  return parts;
}

function halves(range: Range): [Range, Range] {
  const middle = Math.floor((range.from + range.to) / 2);
  return [
    { from: range.from, to: middle },
    { from: middle + 1, to: range.to },
  ];
}

function partRequest(filter: Record<string, unknown>, range: Range): RpcRequest {
  const params = [
    { ...filter, fromBlock: `0x${range.from.toString(16)}`, toBlock: `0x${range.to.toString(16)}` },
  ];
  const raw = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getLogs', params }));
  return { id: 1, method: 'eth_getLogs', params, raw };
}

function refuse(range: Range, parts: number, maxParts: number): CachedResult {
  return {
    ok: false,
    error: new GatewayError(
      'ERR_LOGS_RANGE_TOO_LARGE',
      `eth_getLogs from ${range.from} to ${range.to} needs more than ${maxParts} parts (logSplit.maxParts); ask for a narrower range`,
      { data: { parts, maxParts } },
    ),
  };
}

function resultOf(answer: Extract<CachedResult, { ok: true }>): unknown {
  if (answer.parsed === true) return answer.result;
  try {
    return (JSON.parse(textOf(answer.body)) as { result?: unknown }).result;
  } catch {
    return undefined;
  }
}

/** A part's error answer under the client's id. */
function withId(body: Buffer | string, request: RpcRequest): string {
  const error = (JSON.parse(textOf(body)) as { error?: unknown }).error;
  return JSON.stringify({ jsonrpc: '2.0', id: request.id ?? null, error });
}

function textOf(body: Buffer | string): string {
  return typeof body === 'string' ? body : body.toString('utf8');
}

/** At most `limit` parts in flight; the others wait their turn in order. */
class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  enter(): Promise<void> | undefined {
    if (this.active < this.limit) {
      this.active++;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  leave(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.active--;
  }
}

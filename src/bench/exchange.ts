/** One request in flight: the undici dispatch handler that keeps its timings and body. */
import type { Dispatcher } from 'undici';
import type { RequestKind } from './request-mix.js';
import type { Arrival } from './schedule.js';

/** What an Exchange reports to: the generator that sent it. */
export interface ExchangeOwner {
  now(): number;
  markSent(intended: number, sent: number): void;
  settle(exchange: Exchange, error: Error | undefined): void;
}

/** Keeps the timings of one request; undici calls it as the request moves along. */
export class Exchange implements Dispatcher.DispatchHandler {
  sent = Number.NaN;
  firstByte = Number.NaN;
  status = 0;
  /** The body, when the kind's checks read it: the first chunk, then concatenated chunks. */
  body: Buffer | undefined;
  chunks: Buffer[] | undefined;
  serverTiming: string | undefined;

  constructor(
    readonly generator: ExchangeOwner,
    readonly arrival: Arrival,
    readonly kind: RequestKind,
    readonly intended: number,
  ) {}

  onRequestStart(): void {
    this.sent = this.generator.now();
    this.generator.markSent(this.intended, this.sent);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.firstByte = this.generator.now();
    this.status = statusCode;
    const timing = headers['server-timing'];
    if (timing !== undefined) this.serverTiming = Array.isArray(timing) ? timing.join(', ') : timing;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.kind.readsBody) return;
    if (this.body === undefined) this.body = chunk;
    else if (this.chunks === undefined) this.chunks = [this.body, chunk];
    else this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.generator.settle(this, undefined);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.generator.settle(this, error);
  }
}

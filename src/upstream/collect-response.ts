/**
 * Sends one request through an undici dispatcher and collects the whole response into a
 * Buffer. It implements undici's handler interface directly instead of `request()`, which
 * builds a Readable stream and promise plumbing per response: on the proxy's hot path that
 * was a visible share of CPU per request, and a JSON-RPC answer is consumed whole anyway.
 */
import type { Dispatcher } from 'undici';
import type { CancelSignal } from '../failsafe/timeout.js';

export interface CollectedResponse {
  readonly status: number;
  readonly body: Buffer;
}

type Abort = (reason?: Error) => void;

/** Told once when a request settles (success, failure or cancel): keeps in-flight counts exact. */
export interface SettleListener {
  settled(): void;
}

const noop = (): void => undefined;
const NO_CHUNKS: Buffer[] = [];

/**
 * undici keeps each Client's finished requests (and their handlers) in its queue until 256 have
 * piled up, so a handler lives for seconds. Once settled it drops everything it references:
 * otherwise the responses, promises and signals of thousands of finished requests survive young
 * GCs and get promoted, which cost more CPU than the rest of the upstream call.
 */
class CollectHandler {
  private status = 0;
  private chunks: Buffer[] = [];
  private size = 0;
  private abortRequest: Abort | undefined;
  private settled = false;

  constructor(
    private resolve: (response: CollectedResponse) => void,
    private reject: (err: unknown) => void,
    private cancel: CancelSignal | undefined,
    private listener: SettleListener | undefined,
  ) {
    // A cancel can arrive while the request still waits in the pool queue, before undici
    // calls onConnect: settle at once, and abort the request when it is finally dispatched.
    cancel?.on('abort', this.onCancel);
  }

  private readonly onCancel = (): void => {
    const reason = this.cancel?.reason;
    this.abortRequest?.(asError(reason));
    this.fail(reason);
  };

  onConnect(abort: Abort): void {
    if (this.settled) abort(new Error('cancelled'));
    else if (this.cancel?.aborted) abort(asError(this.cancel.reason));
    else this.abortRequest = abort;
  }

  onHeaders(status: number): boolean {
    this.status = status;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return false;
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    const { chunks, resolve } = this;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size);
    const status = this.status;
    this.release();
    resolve({ status, body });
  }

  onError(err: unknown): void {
    this.fail(err);
  }

  onUpgrade(): void {
    this.fail(new Error('unexpected protocol upgrade from upstream'));
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    const reject = this.reject;
    this.release();
    reject(err);
  }

  private release(): void {
    this.settled = true;
    this.listener?.settled();
    this.listener = undefined;
    this.cancel?.removeListener('abort', this.onCancel);
    this.cancel = undefined;
    this.resolve = noop;
    this.reject = noop;
    this.chunks = NO_CHUNKS;
    this.abortRequest = undefined;
  }
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

export function collectResponse(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  cancel: CancelSignal,
  listener?: SettleListener,
): Promise<CollectedResponse> {
  return new Promise((resolve, reject) => {
    if (cancel.aborted) {
      listener?.settled();
      reject(cancel.reason);
      return;
    }
    dispatcher.dispatch(
      options,
      new CollectHandler(resolve, reject, cancel, listener) as unknown as Dispatcher.DispatchHandler,
    );
  });
}

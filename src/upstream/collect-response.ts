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

class CollectHandler {
  private status = 0;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private abortRequest: Abort | undefined;
  private settled = false;

  constructor(
    private readonly resolve: (response: CollectedResponse) => void,
    private readonly reject: (err: unknown) => void,
    private readonly cancel: CancelSignal,
  ) {
    // A cancel can arrive while the request still waits in the pool queue, before undici
    // calls onConnect: settle at once, and abort the request when it is finally dispatched.
    cancel.on('abort', this.onCancel);
  }

  private readonly onCancel = (): void => {
    this.abortRequest?.(asError(this.cancel.reason));
    this.fail(this.cancel.reason);
  };

  onConnect(abort: Abort): void {
    if (this.cancel.aborted) abort(asError(this.cancel.reason));
    else this.abortRequest = abort;
  }

  onHeaders(status: number): boolean {
    this.status = status;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    this.settled = true;
    this.cancel.removeListener('abort', this.onCancel);
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.resolve({ status: this.status, body });
  }

  onError(err: unknown): void {
    this.fail(err);
  }

  onUpgrade(): void {
    this.fail(new Error('unexpected protocol upgrade from upstream'));
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.cancel.removeListener('abort', this.onCancel);
    this.reject(err);
  }
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

export function collectResponse(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  cancel: CancelSignal,
): Promise<CollectedResponse> {
  return new Promise((resolve, reject) => {
    if (cancel.aborted) {
      reject(cancel.reason);
      return;
    }
    dispatcher.dispatch(
      options,
      new CollectHandler(resolve, reject, cancel) as unknown as Dispatcher.DispatchHandler,
    );
  });
}

/**
 * One abortable attempt with its own timer, always cleared: no timers outlive their request.
 * The signal is a minimal one-listener emitter rather than an AbortController: the only
 * listener is the upstream response collector (upstream/collect-response.ts), and an
 * AbortController per attempt costs measurable CPU at tens of thousands of requests per second.
 */
export class CancelSignal {
  aborted = false;
  reason: unknown;
  private listener: (() => void) | undefined;

  on(_event: 'abort', listener: () => void): this {
    this.listener = listener;
    return this;
  }

  removeListener(_event: 'abort', listener: () => void): this {
    if (this.listener === listener) this.listener = undefined;
    return this;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.listener;
    this.listener = undefined;
    listener?.();
  }
}

export interface AttemptControl {
  readonly signal: CancelSignal;
  /** Aborts now (hedge loser). */
  abort(reason: unknown): void;
  /** Clears the timer; call in `finally`. */
  done(): void;
  readonly timedOut: boolean;
}

class Attempt implements AttemptControl {
  readonly signal = new CancelSignal();
  timedOut = false;
  private readonly timer: NodeJS.Timeout;

  constructor(timeoutMs: number) {
    this.timer = setTimeout(Attempt.expire, timeoutMs, this);
  }

  private static expire(attempt: Attempt): void {
    attempt.timedOut = true;
    attempt.signal.abort(new Error('attempt timeout'));
  }

  abort(reason: unknown): void {
    this.signal.abort(reason);
  }

  done(): void {
    clearTimeout(this.timer);
  }
}

export function startAttempt(timeoutMs: number): AttemptControl {
  return new Attempt(timeoutMs);
}

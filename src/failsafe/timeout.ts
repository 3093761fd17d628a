/** One abortable attempt with its own timer, always cleared: no timers outlive their request. */
export interface AttemptControl {
  readonly signal: AbortSignal;
  /** Aborts now (hedge loser, client gone). */
  abort(reason: unknown): void;
  /** Clears the timer; call in `finally`. */
  done(): void;
  readonly timedOut: boolean;
}

export function startAttempt(timeoutMs: number): AttemptControl {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('attempt timeout'));
  }, timeoutMs);
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    done: () => clearTimeout(timer),
    get timedOut() {
      return timedOut;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

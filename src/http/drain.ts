/**
 * Whether the gateway drains, and how many requests are in flight: read by every response
 * (`connection: close` while draining), by readiness, and by the shutdown that waits for the
 * last answer.
 */
export class Drain {
  private drainingNow = false;
  private count = 0;
  private idle: (() => void) | undefined;

  /** Handed out as `ResponseContext.draining`, so it is one function made once. */
  readonly isDraining = (): boolean => this.drainingNow;

  get inflight(): number {
    return this.count;
  }

  begin(): void {
    this.drainingNow = true;
  }

  requestStarted(): void {
    this.count++;
  }

  requestDone(): void {
    this.count--;
    if (this.count === 0) this.idle?.();
  }

  /** Resolves once no request is in flight. */
  whenIdle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.idle = resolve;
    });
  }
}

/**
 * Responses written while the event loop handles one batch of ready sockets go out together at
 * the end of that batch (the loop's check phase), one write per socket, instead of one by one
 * between reads. Under load a client then wakes once for many responses rather than once per
 * response; on the 2-core bench machine that cut kernel CPU per cache hit from ≈ 11 to ≈ 8 µs
 * (docs/benchmarks.md, "Cache"). When idle a batch holds one response and the cost is one
 * setImmediate. What a response waits is bounded: the held sockets are flushed before a 33rd
 * joins them, and before the next one joins once the first has waited 1 ms. So an answer
 * waits at most about 1 ms plus the one handler that ran past it (a large batch request, say),
 * not for the rest of the batch.
 */
import type { Socket } from 'node:net';

/** One process's held sockets; the server uses the shared one below (a class for the tests' bounds). */
export class WriteBatch {
  private readonly held: Socket[] = [];
  /** performance.now() when the first of the held sockets was corked. */
  private heldSince = 0;
  private flushScheduled = false;

  constructor(
    private readonly maxHeld = 32,
    private readonly maxHoldMs = 1,
  ) {}

  /** Corks `socket` until the end of the current batch; call before writing a response to it. */
  hold(socket: Socket): void {
    if (socket.writableCorked === 0) {
      const { held } = this;
      const now = performance.now();
      if (held.length >= this.maxHeld || (held.length > 0 && now - this.heldSince > this.maxHoldMs))
        this.flush();
      if (held.length === 0) this.heldSince = now;
      socket.cork();
      held.push(socket);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushAtBatchEnd);
    }
  }

  /** Uncorks every held socket (a destroyed one drops its bytes, as it would have anyway). */
  private flush(): void {
    const { held } = this;
    for (let i = 0; i < held.length; i++) held[i]!.uncork();
    held.length = 0;
  }

  private readonly flushAtBatchEnd = (): void => {
    this.flushScheduled = false;
    this.flush();
  };
}

const shared = new WriteBatch();

/** Corks `socket` until the end of the current batch (the process's shared WriteBatch). */
export function holdUntilBatchEnd(socket: Socket): void {
  shared.hold(socket);
}

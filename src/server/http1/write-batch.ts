/**
 * Responses written while the event loop handles one batch of ready sockets go out together at
 * the end of that batch (the loop's check phase), one write per socket, instead of one by one
 * between reads. Under load a client then wakes once for many responses rather than once per
 * response; on the 2-core bench machine that cut kernel CPU per cache hit from ≈ 11 to ≈ 8 µs
 * (docs/benchmarks.md, "Cache"). When idle a batch holds one response and the cost is one
 * setImmediate. What a response waits is bounded: the held sockets are flushed before a 33rd
 * joins them, and before the next one joins once the first has waited MAX_HOLD_MS. So an answer
 * waits at most about 1 ms plus the one handler that ran past it (a large batch request, say),
 * not for the rest of the batch.
 */
import type { Socket } from 'node:net';

const MAX_HELD = 32;
const MAX_HOLD_MS = 1;

const held: Socket[] = [];
/** performance.now() when the first of the held sockets was corked. */
let heldSince = 0;
let flushScheduled = false;

/** Corks `socket` until the end of the current batch; call before writing a response to it. */
export function holdUntilBatchEnd(socket: Socket): void {
  if (socket.writableCorked === 0) {
    const now = performance.now();
    if (held.length >= MAX_HELD || (held.length > 0 && now - heldSince > MAX_HOLD_MS)) flushHeld();
    if (held.length === 0) heldSince = now;
    socket.cork();
    held.push(socket);
  }
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushAtBatchEnd);
  }
}

function flushAtBatchEnd(): void {
  flushScheduled = false;
  flushHeld();
}

/** Uncorks every held socket (a destroyed one drops its bytes, as it would have anyway). */
function flushHeld(): void {
  for (let i = 0; i < held.length; i++) held[i]!.uncork();
  held.length = 0;
}

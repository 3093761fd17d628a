/**
 * A request body that arrives over several reads, copied into one contiguous buffer that grows
 * by doubling up to its limit. Keeping a slice per read instead held every read's buffer and one
 * Buffer object per piece: 1,000,000 one-byte chunks (a 1 MB body) took ~150 MB. Here a body
 * costs at most its limit, and every byte of capacity is reserved against the worker's budget.
 */
import { serverBusy } from './errors.js';

/** Where a connection's buffered request bytes are counted (the worker-wide bound). */
export interface RequestBudget {
  /** Counts `bytes` more; false (nothing counted) when that would exceed the bound. */
  reserve(bytes: number): boolean;
  release(bytes: number): void;
}

/** A budget without a bound (unit tests, tools). */
export const UNBOUNDED: RequestBudget = { reserve: () => true, release: () => undefined };

/** The first allocation; small bodies split over two reads stay small. */
const MIN_CAPACITY = 256;
const EMPTY = Buffer.alloc(0);

export class BodyBuffer {
  private bytes = EMPTY;
  /** Bytes appended so far. */
  length = 0;

  constructor(
    private readonly budget: RequestBudget,
    /** Largest body this buffer may hold (the caller checks it before appending). */
    private readonly limit: number,
  ) {}

  /** Bytes of capacity reserved against the budget. */
  get reserved(): number {
    return this.bytes.length;
  }

  /** Copies `buf[start, end)` behind what is already there; throws ERR_SERVER_BUSY over budget. */
  append(buf: Buffer, start: number, end: number): void {
    const need = this.length + end - start;
    if (need > this.bytes.length) this.grow(need);
    buf.copy(this.bytes, this.length, start, end);
    this.length = need;
  }

  /** The body; the reserved bytes stay counted until the owner releases `reserved`. */
  body(): Buffer {
    return this.length === this.bytes.length ? this.bytes : this.bytes.subarray(0, this.length);
  }

  /** Drops the bytes and releases what was reserved. */
  discard(): void {
    this.budget.release(this.bytes.length);
    this.bytes = EMPTY;
    this.length = 0;
  }

  private grow(need: number): void {
    let capacity = Math.max(MIN_CAPACITY, this.bytes.length * 2);
    while (capacity < need) capacity *= 2;
    capacity = Math.max(need, Math.min(capacity, this.limit));
    if (!this.budget.reserve(capacity - this.bytes.length)) throw serverBusy();
    const next = Buffer.allocUnsafe(capacity);
    this.bytes.copy(next, 0, 0, this.length);
    this.bytes = next;
  }
}

/**
 * Bounds the `method` label: clients choose method names, and an unbounded label would let
 * them grow the metrics without limit. Past the cap, unseen names share the label `other`.
 */
const METHOD_NAME = /^[a-z][a-z0-9]*_[A-Za-z0-9_]{1,64}$/;

export class MethodLabels {
  /** Returns the first-seen string object, whose hash is cached for the metrics' Map lookups. */
  private readonly seen = new Map<string, string>();

  constructor(private readonly cap = 256) {}

  label(method: string): string {
    const known = this.seen.get(method);
    if (known !== undefined) return known;
    if (this.seen.size >= this.cap || !METHOD_NAME.test(method)) return 'other';
    this.seen.set(method, method);
    return method;
  }
}

/**
 * Bounds the `method` label: clients choose method names, and an unbounded label would let
 * them grow the metrics (or the usage table) without limit. Names in the `known` set keep
 * their own label; past the cap, other unseen names share the label `other`.
 */
const METHOD_NAME = /^[a-z][a-z0-9]*_[A-Za-z0-9_]{1,64}$/;

/** The label of every method name that is not given its own. */
export const OTHER_METHOD = 'other';

/** The longest method name accepted (`isMethodName`). */
export const MAX_METHOD_NAME = 64;

/**
 * Whether `method` is 1–64 characters of A–Z, a–z, 0–9 and `_`. A loop rather than a regular
 * expression: at most 65 steps whatever the input, nothing to backtrack.
 */
export function isMethodName(method: string): boolean {
  const length = method.length;
  if (length === 0 || length > MAX_METHOD_NAME) return false;
  for (let i = 0; i < length; i++) {
    const c = method.charCodeAt(i);
    // 0-9, A-Z, _, a-z
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || c === 95 || (c >= 97 && c <= 122))) return false;
  }
  return true;
}

export class MethodLabels {
  /** Returns the first-seen string object, whose hash is cached for the metrics' Map lookups. */
  private readonly seen = new Map<string, string>();

  /**
   * @param cap how many names outside `known` get their own label (first seen, first served)
   * @param known names that always keep their own label
   */
  constructor(
    private readonly cap = 256,
    private readonly known: ReadonlySet<string> = new Set(),
  ) {}

  /** Whether `method` is one of the `known` names. */
  isKnown(method: string): boolean {
    return this.known.has(method);
  }

  label(method: string): string {
    if (this.known.has(method)) return method;
    const seen = this.seen.get(method);
    if (seen !== undefined) return seen;
    if (this.seen.size >= this.cap || !METHOD_NAME.test(method)) return OTHER_METHOD;
    this.seen.set(method, method);
    return method;
  }
}

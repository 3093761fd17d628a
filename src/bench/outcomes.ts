/**
 * What happened to each request, by its sequence number (opt-in): for runs whose requests change
 * state on the target (transfers, writes) and are reconciled with it afterwards, e.g. "every
 * accepted transfer is on chain once". Histograms cannot say *which* requests succeeded.
 * Each generator thread keeps typed arrays over its own arrivals (thread w of W gets sequence
 * numbers n·W + w, see schedule.ts); the coordinator merges them into one table by number.
 */

/** Outcome codes; error kinds follow from FIRST_ERROR on, indexing the table's `errorKinds`. */
const NONE = 0;
const PENDING = 1;
const OK = 2;
const FIRST_ERROR = 3;

export interface OutcomeSnapshot {
  worker: number;
  workers: number;
  /** Arrivals recorded (this thread's n = 0 … count − 1). */
  count: number;
  kind: Uint16Array;
  status: Uint16Array;
  outcome: Uint16Array;
  errorKinds: string[];
}

/** One generator thread's log, indexed by its own arrival number n = (seq − w) / W. */
export class OutcomeLog {
  private kind = new Uint16Array(1024);
  private status = new Uint16Array(1024);
  private outcome = new Uint16Array(1024);
  private count = 0;
  private readonly errorKinds: string[] = [];
  private readonly errorCodes = new Map<string, number>();

  constructor(
    private readonly worker: number,
    private readonly workers: number,
  ) {}

  /** Arrival `seq` came due as request kind `kind`; it stays pending until `settle`. */
  arrive(seq: number, kind: number): void {
    const n = (seq - this.worker) / this.workers;
    if (n >= this.outcome.length) this.grow(n + 1);
    this.kind[n] = kind;
    this.outcome[n] = PENDING;
    if (n >= this.count) this.count = n + 1;
  }

  /** `status` 0 when no HTTP answer came; `error` undefined when the request passed its checks. */
  settle(seq: number, status: number, error: string | undefined): void {
    const n = (seq - this.worker) / this.workers;
    this.status[n] = status;
    this.outcome[n] = error === undefined ? OK : this.codeOf(error);
  }

  snapshot(): OutcomeSnapshot {
    // Still pending at the end: the answer never came.
    const count = this.count;
    const unanswered = this.codeOf('unanswered');
    for (let n = 0; n < count; n++) if (this.outcome[n] === PENDING) this.outcome[n] = unanswered;
    return {
      worker: this.worker,
      workers: this.workers,
      count,
      kind: this.kind.slice(0, count),
      status: this.status.slice(0, count),
      outcome: this.outcome.slice(0, count),
      errorKinds: [...this.errorKinds],
    };
  }

  private codeOf(error: string): number {
    let code = this.errorCodes.get(error);
    if (code === undefined) {
      code = FIRST_ERROR + this.errorKinds.length;
      this.errorKinds.push(error);
      this.errorCodes.set(error, code);
    }
    return code;
  }

  private grow(size: number): void {
    let length = this.outcome.length;
    while (length < size) length *= 2;
    const copy = (from: Uint16Array) => {
      const to = new Uint16Array(length);
      to.set(from);
      return to;
    };
    this.kind = copy(this.kind);
    this.status = copy(this.status);
    this.outcome = copy(this.outcome);
  }
}

/** Every thread's log merged: one entry per sequence number 0 … size − 1. */
export class RequestOutcomes {
  /** One past the highest sequence number of the run. */
  readonly size: number;
  private readonly kinds: Uint16Array;
  private readonly statuses: Uint16Array;
  private readonly outcomes: Uint16Array;
  private readonly errorKinds: string[] = [];

  constructor(
    snapshots: readonly OutcomeSnapshot[],
    private readonly kindNames: readonly string[],
  ) {
    this.size = Math.max(
      0,
      ...snapshots.map((s) => (s.count > 0 ? (s.count - 1) * s.workers + s.worker + 1 : 0)),
    );
    this.kinds = new Uint16Array(this.size);
    this.statuses = new Uint16Array(this.size);
    this.outcomes = new Uint16Array(this.size);
    const codes = new Map<string, number>();
    for (const s of snapshots) {
      const remap = s.errorKinds.map((error) => {
        let code = codes.get(error);
        if (code === undefined) {
          code = FIRST_ERROR + this.errorKinds.length;
          this.errorKinds.push(error);
          codes.set(error, code);
        }
        return code;
      });
      for (let n = 0; n < s.count; n++) {
        const seq = n * s.workers + s.worker;
        const outcome = s.outcome[n]!;
        this.kinds[seq] = s.kind[n]!;
        this.statuses[seq] = s.status[n]!;
        this.outcomes[seq] = outcome >= FIRST_ERROR ? remap[outcome - FIRST_ERROR]! : outcome;
      }
    }
  }

  /** The request passed its checks (2xx or `expect.status`, and every `expect`). */
  ok(seq: number): boolean {
    return this.outcomes[seq] === OK;
  }

  /** `ok`, the error kind (`http_503`, `timeout`, `dropped`, `unanswered`…), or undefined: no such arrival. */
  outcome(seq: number): string | undefined {
    const code = this.outcomes[seq] ?? NONE;
    if (code === NONE) return undefined;
    return code === OK ? 'ok' : this.errorKinds[code - FIRST_ERROR];
  }

  /** HTTP status of the answer; 0 when none came. */
  status(seq: number): number {
    return this.statuses[seq] ?? 0;
  }

  /** Name of the request kind, or undefined: no such arrival. */
  kind(seq: number): string | undefined {
    return this.outcomes[seq] === NONE || seq >= this.size ? undefined : this.kindNames[this.kinds[seq]!];
  }

  /** `seq,kind,status,outcome` lines with a header, arrivals only, in sequence order. */
  toCsv(): string {
    const lines = ['seq,kind,status,outcome'];
    for (let seq = 0; seq < this.size; seq++) {
      const outcome = this.outcome(seq);
      if (outcome !== undefined)
        lines.push(`${seq},${csvField(this.kind(seq) ?? '')},${this.status(seq)},${csvField(outcome)}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

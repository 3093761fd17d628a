// `bench:ws` bookkeeping inside a client process: what each connection received (the exactly-once
// check) and when each block's notifications arrived (latency), kept small enough for 10,000
// connections and a 10-minute run (a few numbers per connection, a few per block).

/**
 * One connection's newHeads and logs, checked as they arrive: strictly increasing block numbers
 * for heads, strictly increasing (blockNumber, logIndex) for logs. A repeat is a duplicate, a step
 * back is out of order; what never came is counted against the chain's truth at the end.
 */
export class ConnectionRecord {
  /** Blocks below this are not counted (set before mining starts: heads seen at subscribe time). */
  static countFrom = Number.POSITIVE_INFINITY;

  constructor(index, filter) {
    this.index = index;
    /** topic1 values the logs filter names (lowercase), or null: every log of the address. */
    this.topics = Array.isArray(filter?.topics?.[1])
      ? new Set(filter.topics[1].map((t) => t.toLowerCase()))
      : null;
    this.filterKey = this.topics === null ? '*' : [...this.topics].sort().join(',');
    this.lastHead = -1;
    this.lastLogKey = -1;
    this.heads = { counted: 0, duplicate: 0, outOfOrder: 0 };
    this.logs = { counted: 0, duplicate: 0, outOfOrder: 0, unexpected: 0, removed: 0 };
    this.unknown = 0;
    this.endedWithError = 0;
    this.closedEarly = null;
    this.closing = false;
  }

  head(number) {
    if (number === this.lastHead) this.heads.duplicate++;
    else if (number < this.lastHead) this.heads.outOfOrder++;
    else {
      this.lastHead = number;
      if (number >= ConnectionRecord.countFrom) this.heads.counted++;
    }
  }

  log(number, logIndex, topics, removed) {
    if (removed) {
      this.logs.removed++;
      return;
    }
    const key = number * 1_000_000 + logIndex;
    if (key === this.lastLogKey) this.logs.duplicate++;
    else if (key < this.lastLogKey) this.logs.outOfOrder++;
    else {
      this.lastLogKey = key;
      if (this.topics !== null && !this.topics.has(String(topics[1]).toLowerCase())) this.logs.unexpected++;
      else if (number >= ConnectionRecord.countFrom) this.logs.counted++;
    }
  }

  /**
   * Against `truth` ({ first, last, expectedLogs(filterKey) }, first = countFrom, last = the last
   * block mined): every block from `first` to `last` exactly once, and every matching log of those
   * blocks exactly once. Nothing is mined past `last`, so whatever was counted lies in the range.
   */
  check(truth) {
    return {
      index: this.index,
      missingHeads: truth.last - truth.first + 1 - this.heads.counted,
      duplicateHeads: this.heads.duplicate,
      outOfOrderHeads: this.heads.outOfOrder,
      missingLogs: truth.expectedLogs(this.filterKey) - this.logs.counted,
      duplicateLogs: this.logs.duplicate,
      outOfOrderLogs: this.logs.outOfOrder,
      unexpectedLogs: this.logs.unexpected,
      removedLogs: this.logs.removed,
      unknownSubscription: this.unknown,
      endedWithError: this.endedWithError,
      closedEarly: this.closedEarly === null ? 0 : 1,
    };
  }
}

/** Counters summed over connections; `bad` counts connections with any nonzero counter. */
export function sumChecks(checks) {
  const sum = {
    connections: 0,
    bad: 0,
    missingHeads: 0,
    duplicateHeads: 0,
    outOfOrderHeads: 0,
    missingLogs: 0,
    duplicateLogs: 0,
    outOfOrderLogs: 0,
    unexpectedLogs: 0,
    removedLogs: 0,
    unknownSubscription: 0,
    endedWithError: 0,
    closedEarly: 0,
    /** Missing on the sockets that stayed open (a socket the server cut misses what came after). */
    missingHeadsOnOpen: 0,
    missingLogsOnOpen: 0,
  };
  const examples = [];
  for (const check of checks) {
    sum.connections++;
    if (check.closedEarly === 0) {
      sum.missingHeadsOnOpen += check.missingHeads;
      sum.missingLogsOnOpen += check.missingLogs;
    }
    let bad = false;
    for (const [key, value] of Object.entries(check)) {
      if (key === 'index') continue;
      sum[key] += value;
      if (value !== 0) bad = true;
    }
    if (bad) {
      sum.bad++;
      if (examples.length < 5) examples.push(check);
    }
  }
  return { ...sum, examples };
}

/** Per block: first and last arrival of any notification (head or log) over this process's sockets. */
export class BlockTimes {
  constructor() {
    this.blocks = new Map();
  }

  note(number, at, hash) {
    let block = this.blocks.get(number);
    if (block === undefined) {
      block = { first: at, last: at, count: 0, headLast: 0, hash: undefined, hashMismatch: 0 };
      this.blocks.set(number, block);
    }
    if (at < block.first) block.first = at;
    if (at > block.last) block.last = at;
    block.count++;
    if (hash !== undefined) {
      if (at > block.headLast) block.headLast = at;
      if (block.hash === undefined) block.hash = hash;
      else if (block.hash !== hash) block.hashMismatch++;
    }
  }

  toJSON() {
    return [...this.blocks].map(([number, b]) => ({ number, ...b }));
  }

  clear() {
    this.blocks.clear();
  }
}

/** Merges the processes' block times: earliest first, latest last, counts summed. */
export function mergeBlockTimes(perProcess) {
  const merged = new Map();
  for (const blocks of perProcess) {
    for (const b of blocks) {
      const m = merged.get(b.number);
      if (m === undefined) {
        merged.set(b.number, { ...b, hashes: b.hash === undefined ? [] : [b.hash] });
        continue;
      }
      m.first = Math.min(m.first, b.first);
      m.last = Math.max(m.last, b.last);
      m.headLast = Math.max(m.headLast, b.headLast);
      m.count += b.count;
      m.hashMismatch += b.hashMismatch;
      if (b.hash !== undefined) m.hashes.push(b.hash);
    }
  }
  return merged;
}

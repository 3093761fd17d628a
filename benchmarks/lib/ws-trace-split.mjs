// Where the delivery time of `bench:ws` goes, per block, from the workers' feed traces
// (ws-block-trace.mjs) and the subscribers' arrival times, all measured from anvil's
// announcement of the block (epoch ms of one machine's clock):
//   tracker   the chain tracker's step showed the block (the last worker to see it)
//   loaded    header and logs read: the fan-out began
//   handed    every notification handed to its socket (the JavaScript fan-out)
//   written   the corked writes went to the kernel — the server side is done
//   received  the last subscriber got its last notification of the block (client side)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarize } from './stats.mjs';

/** block number → { seenAt, loadedAt, handedAt, writtenAt, fanOutMs[] } (latest over workers). */
export function readTraces(dir) {
  const blocks = new Map();
  let files = [];
  try {
    files = readdirSync(dir).filter((name) => name.endsWith('.jsonl'));
  } catch {
    return blocks;
  }
  for (const name of files) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line === '') continue;
      const event = JSON.parse(line);
      const known = blocks.get(event.number);
      const fanOut = event.writtenAt - event.loadedAt;
      if (known === undefined) {
        blocks.set(event.number, { ...event, fanOutMs: [fanOut], workers: 1 });
        continue;
      }
      for (const key of ['seenAt', 'loadedAt', 'handedAt', 'writtenAt'])
        known[key] = Math.max(known[key], event[key]);
      known.fanOutMs.push(fanOut);
      known.workers++;
    }
  }
  return blocks;
}

/**
 * Stage summaries (ms after anvil's announcement) over blocks first…last; `arrivals`: number →
 * { last } from the subscribers, `announced`: number → { at } from the reference client.
 */
export function deliverySplit(traces, arrivals, announced, first, last) {
  const stages = {
    tracker: [],
    loaded: [],
    handed: [],
    written: [],
    received: [],
    fanOut: [],
    clientSide: [],
  };
  for (let n = first; n <= last; n++) {
    const trace = traces.get(n);
    const at = announced.get(n)?.at;
    if (trace === undefined || at === undefined) continue;
    stages.tracker.push(trace.seenAt - at);
    stages.loaded.push(trace.loadedAt - at);
    stages.handed.push(trace.handedAt - at);
    stages.written.push(trace.writtenAt - at);
    stages.fanOut.push(...trace.fanOutMs);
    const got = arrivals.get(n);
    if (got !== undefined) {
      stages.received.push(got.last - at);
      stages.clientSide.push(got.last - trace.writtenAt);
    }
  }
  return Object.fromEntries(Object.entries(stages).map(([key, samples]) => [key, summarize(samples)]));
}

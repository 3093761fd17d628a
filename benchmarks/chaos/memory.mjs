// Memory of every gateway instance while the chaos load runs (a soak is `--phases baseline`
// with a long fault window): RSS of the instance's process tree from /proc and the live heap
// its /metrics reports (summed over its workers), every `everySeconds`. At the end, per
// instance, the level around minute 1 against the last minute (lib/memory.mjs growthCheck).
import { growthCheck, sampleMemory } from '../lib/memory.mjs';

export function startMemorySampler(fleet, everySeconds) {
  const started = Date.now();
  const samples = fleet.gateways.map(() => []);
  const sample = async () => {
    await Promise.all(
      fleet.gateways.map(async (g, i) => {
        // A killed instance has no child until it is restarted: skip it.
        if (!g.child) return;
        const memory = await sampleMemory(g.child.pid, `${g.origin}/metrics`).catch(() => null);
        if (memory) samples[i].push({ tSeconds: (Date.now() - started) / 1000, pid: g.child.pid, ...memory });
      }),
    );
  };
  void sample();
  const timer = setInterval(() => void sample(), everySeconds * 1000);
  return {
    async stop() {
      clearInterval(timer);
      await sample();
      return samples.map((rows, index) => {
        const first = rows[0];
        const last = rows[rows.length - 1];
        return {
          instance: index,
          samples: rows.length,
          first: first && {
            tSeconds: first.tSeconds,
            rssBytes: first.rssBytes,
            heapUsedBytes: first.heapUsedBytes,
          },
          last: last && {
            tSeconds: last.tSeconds,
            rssBytes: last.rssBytes,
            heapUsedBytes: last.heapUsedBytes,
          },
          rss: growthCheck(rows, 'rssBytes'),
          heap: growthCheck(rows, 'heapUsedBytes'),
          rows: rows.map(({ tSeconds, rssBytes, heapUsedBytes, processes }) => ({
            tSeconds,
            rssBytes,
            heapUsedBytes,
            processes,
          })),
        };
      });
    },
  };
}

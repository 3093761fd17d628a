/**
 * Cache and chain-tracker metrics, read at scrape time from the counters the cache keeps (the
 * request path only bumps plain integers).
 */
import type { Registry } from 'prom-client';
import type { MetricsCollector } from '../metrics/collector.js';
import { METRIC } from '../metrics/names.js';
import { readCounter, readGauge } from '../metrics/scrape-metrics.js';
import type { ChainTracker } from './chain-tracker.js';
import type { NetworkCache } from './network-cache.js';
import type { CacheTiers } from './open-cache.js';

/** What these metrics read of a network (a Network is one). */
export interface CachedNetwork {
  readonly name: string;
  /** Undefined when the network's cache is off. */
  readonly cache: NetworkCache | undefined;
  readonly tracker: ChainTracker | undefined;
}

/** The shared cache tiers and each caching network's counters; nothing without a cache. */
export function cacheMetrics(
  networks: readonly CachedNetwork[],
  cache: CacheTiers | undefined,
): MetricsCollector {
  return (registry) => registerCacheMetrics(registry, networks, cache);
}

function registerCacheMetrics(
  registry: Registry,
  networks: readonly CachedNetwork[],
  cache: CacheTiers | undefined,
): void {
  if (cache === undefined) return;
  const cached = () => networks.filter((network) => network.cache !== undefined);
  readCounter(
    registry,
    METRIC.cacheRequests,
    'Cacheable requests by result: hit, miss, coalesced.',
    ['network', 'result'],
    (set) => {
      for (const network of cached()) {
        const stats = network.cache!.stats;
        set({ network: network.name, result: 'hit' }, stats.hits);
        set({ network: network.name, result: 'miss' }, stats.misses);
        set({ network: network.name, result: 'coalesced' }, stats.coalesced);
      }
    },
  );
  readCounter(registry, METRIC.cacheStored, 'Answers written to the cache.', ['network'], (set) => {
    for (const network of cached()) set({ network: network.name }, network.cache!.stats.stored);
  });
  readGauge(registry, METRIC.cacheEntries, 'Entries in the in-process cache tier.', [], 'sum', (set) =>
    set({}, cache.memory.size),
  );
  readGauge(
    registry,
    METRIC.cacheBytes,
    'Bytes held by the in-process cache tier (its bound is cache.memoryBytes).',
    [],
    'sum',
    (set) => set({}, cache.memory.calculatedSize),
  );
  readCounter(
    registry,
    METRIC.cacheEvictions,
    'Entries the in-process tier evicted to stay within its byte bound.',
    [],
    (set) => set({}, cache.memory.stats.evictions),
  );
  readCounter(
    registry,
    METRIC.cacheBackendFailures,
    'Redis cache operations that failed (each became a miss or a skipped write).',
    [],
    (set) => set({}, cache.failures()),
  );
  readCounter(registry, METRIC.reorgs, 'Reorgs the chain tracker saw.', ['network'], (set) => {
    for (const network of cached()) set({ network: network.name }, network.tracker!.stats.reorgs);
  });
  readGauge(registry, METRIC.reorgMaxDepth, 'Deepest reorg seen, in blocks.', ['network'], 'max', (set) => {
    for (const network of cached()) set({ network: network.name }, network.tracker!.stats.maxReorgDepth);
  });
  readCounter(
    registry,
    METRIC.reorgInvalidated,
    'Cached answers dropped because a reorg orphaned their block.',
    ['network'],
    (set) => {
      for (const network of cached()) set({ network: network.name }, network.cache!.stats.invalidated);
    },
  );
  readGauge(
    registry,
    METRIC.chainHead,
    'Canonical head block the chain tracker follows (-1 unknown).',
    ['network'],
    'max',
    (set) => {
      for (const network of cached()) set({ network: network.name }, network.tracker!.head);
    },
  );
  readGauge(
    registry,
    METRIC.chainFinalized,
    'Newest final block as the cache judges it (-1 unknown).',
    ['network'],
    'max',
    (set) => {
      for (const network of cached()) set({ network: network.name }, network.tracker!.finalized);
    },
  );
}

/**
 * What a module hands the metrics registry: a function that registers its own prom-client
 * metrics (usually read at scrape time from the module's plain counters). metrics/ knows no
 * module; each module knows only this shape and the name table (names.ts).
 */
import type { Registry } from 'prom-client';

export type MetricsCollector = (registry: Registry) => void;

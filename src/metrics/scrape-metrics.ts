/**
 * Counters and gauges whose values live elsewhere (a module's plain integers) and are copied in
 * at scrape time, so the request path never touches prom-client.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** Sets one labelled value; called once per series from the `read` callback. */
export type ScrapeSetter<L extends string> = (labels: Record<L, string>, value: number) => void;

/** A prom-client counter whose value is read from elsewhere at scrape time. */
export function readCounter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: (set: ScrapeSetter<L>) => void,
): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect(this: Counter<L>) {
      this.reset();
      read((labels, value) => this.inc(labels as Partial<Record<L, string | number>>, value));
    },
  });
}

/** A prom-client gauge read at scrape time; `aggregator` merges cluster workers' values. */
export function readGauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  aggregator: 'sum' | 'max',
  read: (set: ScrapeSetter<L>) => void,
): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    aggregator,
    collect(this: Gauge<L>) {
      this.reset();
      read((labels, value) => this.set(labels as Partial<Record<L, string | number>>, value));
    },
  });
}

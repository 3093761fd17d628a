/**
 * Counters and histograms for the request path. prom-client hashes and validates the label
 * object on every `inc`/`observe` (a child from `labels()` only binds the object), which showed
 * at tens of thousands of requests per second; these keep one Map entry per label set and do
 * a lookup and an increment. prom-client reads them at scrape time: they implement its metric
 * shape (`get()`), so the registry, the text format and cluster aggregation all still apply.
 */
import type { Registry } from 'prom-client';

interface Series<T> {
  readonly labels: Record<string, string>;
  data: T;
}

abstract class FastMetric<T> {
  protected readonly series = new Map<string, Series<T>>();
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    // prom-client accepts any object with name/help/type/get(); see its Registry.
    registry.registerMetric(this as never);
  }

  abstract readonly type: 'counter' | 'histogram';

  protected entry(values: readonly string[], create: () => T): Series<T> {
    const key = values.length === 1 ? values[0]! : values.join('\u0000');
    let series = this.series.get(key);
    if (series === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => {
        labels[name] = values[i] ?? '';
      });
      series = { labels, data: create() };
      this.series.set(key, series);
    }
    return series;
  }

  reset(): void {
    this.series.clear();
  }
}

export class FastCounter extends FastMetric<number> {
  readonly type = 'counter';

  inc(values: readonly string[], by = 1): void {
    this.entry(values, () => 0).data += by;
  }

  get() {
    const values = [...this.series.values()].map((series) => ({ labels: series.labels, value: series.data }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

interface HistogramData {
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

export class FastHistogram extends FastMetric<HistogramData> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    registry: Registry,
    private readonly bounds: readonly number[],
  ) {
    super(name, help, labelNames, registry);
  }

  observe(values: readonly string[], value: number): void {
    const data = this.entry(values, () => ({
      buckets: new Float64Array(this.bounds.length),
      sum: 0,
      count: 0,
    })).data;
    data.sum += value;
    data.count++;
    for (let i = 0; i < this.bounds.length; i++) {
      if (value <= this.bounds[i]!) {
        data.buckets[i]!++;
        break;
      }
    }
  }

  get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const { labels, data } of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += data.buckets[i]!;
        values.push({
          labels: { ...labels, le: bound },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      });
      values.push({
        labels: { ...labels, le: '+Inf' },
        value: data.count,
        metricName: `${this.name}_bucket`,
      });
      values.push({ labels, value: data.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: data.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

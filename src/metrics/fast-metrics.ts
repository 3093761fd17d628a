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

type LabelNode<T> = Map<string, LabelNode<T> | Series<T>>;

abstract class FastMetric<T> {
  /** One Map level per label: no key string is built (and hashed) per observation. */
  private readonly root: LabelNode<T> = new Map();
  protected readonly series: Series<T>[] = [];
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

  protected abstract create(): T;

  protected entry(values: readonly string[]): Series<T> {
    let node = this.root;
    const last = this.labelNames.length - 1;
    for (let i = 0; i < last; i++) {
      const value = values[i] ?? '';
      let next = node.get(value) as LabelNode<T> | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(value, next);
      }
      node = next;
    }
    const leaf = values[last] ?? '';
    let series = node.get(leaf) as Series<T> | undefined;
    if (series === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => {
        labels[name] = values[i] ?? '';
      });
      series = { labels, data: this.create() };
      node.set(leaf, series);
      this.series.push(series);
    }
    return series;
  }

  reset(): void {
    this.root.clear();
    this.series.length = 0;
  }
}

export class FastCounter extends FastMetric<number> {
  readonly type = 'counter';

  protected create(): number {
    return 0;
  }

  inc(values: readonly string[], by = 1): void {
    this.entry(values).data += by;
  }

  get() {
    const values = this.series.map((series) => ({ labels: series.labels, value: series.data }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

export interface HistogramData {
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

  protected create(): HistogramData {
    return { buckets: new Float64Array(this.bounds.length), sum: 0, count: 0 };
  }

  observe(values: readonly string[], value: number): void {
    this.observeInto(this.entry(values).data, value);
  }

  /** One series, looked up once and then observed with `observeInto` (no label lookup per call). */
  seriesOf(values: readonly string[]): HistogramData {
    return this.entry(values).data;
  }

  observeInto(data: HistogramData, value: number): void {
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
    for (const { labels, data } of this.series) {
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

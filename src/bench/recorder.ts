/**
 * Everything one generator measures, kept as counts and HDR histograms (bounded memory on long
 * runs; no per-sample arrays). Latency goes to a bucket per second × phase × request kind,
 * keyed by the request's *intended* second; throughput per second by the second it *ended*.
 * Snapshots are plain JSON so they cross worker_threads and merge exactly.
 */
import {
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  mergeInto,
  newHistogram,
  recordMs,
} from './histogram.js';

export interface Bucket {
  phase: number;
  second: number;
  kind: number;
  /** end − intended */
  corrected: Histogram;
  /** end − sent */
  service: Histogram;
  ok: number;
  /** By error kind: `timeout`, `reset`, `connect_refused`, `http_503`, `rpc_-32005`, `assertion`, `dropped`… */
  errors: Record<string, number>;
}

export interface SecondStats {
  second: number;
  /** Arrivals due in this second. */
  scheduled: number;
  /** Requests written to a socket in this second. */
  sent: number;
  /** Responses that ended in this second, successful or not. */
  okEnded: number;
  /** okEnded by the phase the request was intended in (achieved rate of a phase counts only its own). */
  okEndedByPhase: Record<number, number>;
  errorEnded: number;
  /** Client in-flight seen by each arrival (time average for Poisson arrivals). */
  inflightSum: number;
  inflightSamples: number;
  inflightMax: number;
  /** sent − intended: generator lateness plus waiting for a free in-flight slot. */
  lag: Histogram;
  /** How late the generator picked up the due time (its own lateness only). */
  dispatchLag: Histogram;
}

interface Snapshot {
  buckets: {
    phase: number;
    second: number;
    kind: number;
    corrected: string;
    service: string;
    ok: number;
    errors: Record<string, number>;
  }[];
  seconds: (Omit<SecondStats, 'lag' | 'dispatchLag'> & { lag: string; dispatchLag: string })[];
  firstByte: { phase: number; kind: number; histogram: string }[];
  stages: { phase: number; stage: string; histogram: string }[];
}
export type RecorderSnapshot = Snapshot;

export class Recorder {
  readonly buckets = new Map<number, Bucket>();
  readonly seconds = new Map<number, SecondStats>();
  /** first byte − sent, per phase × kind. */
  readonly firstByte = new Map<string, Histogram>();
  /** Server-Timing stage durations per phase × stage name. */
  readonly stages = new Map<string, Histogram>();

  constructor(
    readonly phases: number,
    readonly kinds: number,
  ) {}

  bucket(phase: number, second: number, kind: number): Bucket {
    const key = (second * this.phases + phase) * this.kinds + kind;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { phase, second, kind, corrected: newHistogram(), service: newHistogram(), ok: 0, errors: {} };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  second(second: number): SecondStats {
    let stats = this.seconds.get(second);
    if (stats === undefined) {
      stats = {
        second,
        scheduled: 0,
        sent: 0,
        okEnded: 0,
        okEndedByPhase: {},
        errorEnded: 0,
        inflightSum: 0,
        inflightSamples: 0,
        inflightMax: 0,
        lag: newHistogram(),
        dispatchLag: newHistogram(),
      };
      this.seconds.set(second, stats);
    }
    return stats;
  }

  /** An arrival came due; `inflight` is the client's in-flight count at that moment. */
  arrival(intendedMs: number, dispatchLagMs: number, inflight: number): void {
    const stats = this.second(Math.floor(intendedMs / 1000));
    stats.scheduled++;
    recordMs(stats.dispatchLag, dispatchLagMs);
    stats.inflightSum += inflight;
    stats.inflightSamples++;
    if (inflight > stats.inflightMax) stats.inflightMax = inflight;
  }

  sent(intendedMs: number, sentMs: number): void {
    const stats = this.second(Math.floor(sentMs / 1000));
    stats.sent++;
    recordMs(this.second(Math.floor(intendedMs / 1000)).lag, sentMs - intendedMs);
  }

  ok(
    phase: number,
    kind: number,
    intendedMs: number,
    sentMs: number,
    firstByteMs: number,
    endMs: number,
  ): void {
    const bucket = this.bucket(phase, Math.floor(intendedMs / 1000), kind);
    bucket.ok++;
    recordMs(bucket.corrected, endMs - intendedMs);
    recordMs(bucket.service, endMs - sentMs);
    const key = `${phase}:${kind}`;
    let firstByte = this.firstByte.get(key);
    if (firstByte === undefined) {
      firstByte = newHistogram();
      this.firstByte.set(key, firstByte);
    }
    recordMs(firstByte, firstByteMs - sentMs);
    const ended = this.second(Math.floor(endMs / 1000));
    ended.okEnded++;
    ended.okEndedByPhase[phase] = (ended.okEndedByPhase[phase] ?? 0) + 1;
  }

  /** A failed request; `endMs` is undefined for one that never went out (dropped). */
  error(phase: number, kind: number, intendedMs: number, errorKind: string, endMs: number | undefined): void {
    const bucket = this.bucket(phase, Math.floor(intendedMs / 1000), kind);
    bucket.errors[errorKind] = (bucket.errors[errorKind] ?? 0) + 1;
    if (endMs !== undefined) this.second(Math.floor(endMs / 1000)).errorEnded++;
  }

  stage(phase: number, stage: string, ms: number): void {
    const key = `${phase}:${stage}`;
    let histogram = this.stages.get(key);
    if (histogram === undefined) {
      histogram = newHistogram();
      this.stages.set(key, histogram);
    }
    recordMs(histogram, ms);
  }

  snapshot(): RecorderSnapshot {
    return {
      buckets: [...this.buckets.values()].map((b) => ({
        phase: b.phase,
        second: b.second,
        kind: b.kind,
        corrected: encodeHistogram(b.corrected),
        service: encodeHistogram(b.service),
        ok: b.ok,
        errors: b.errors,
      })),
      seconds: [...this.seconds.values()].map((s) => ({
        ...s,
        lag: encodeHistogram(s.lag),
        dispatchLag: encodeHistogram(s.dispatchLag),
      })),
      firstByte: [...this.firstByte].map(([key, h]) => {
        const [phase, kind] = key.split(':').map(Number);
        return { phase: phase ?? 0, kind: kind ?? 0, histogram: encodeHistogram(h) };
      }),
      stages: [...this.stages].map(([key, h]) => {
        const at = key.indexOf(':');
        return { phase: Number(key.slice(0, at)), stage: key.slice(at + 1), histogram: encodeHistogram(h) };
      }),
    };
  }

  /** Adds another recorder's snapshot (another worker's) into this one. */
  merge(snapshot: RecorderSnapshot): void {
    for (const b of snapshot.buckets) {
      const bucket = this.bucket(b.phase, b.second, b.kind);
      bucket.ok += b.ok;
      bucket.corrected.add(decodeHistogram(b.corrected));
      bucket.service.add(decodeHistogram(b.service));
      for (const [kind, count] of Object.entries(b.errors))
        bucket.errors[kind] = (bucket.errors[kind] ?? 0) + count;
    }
    for (const s of snapshot.seconds) {
      const stats = this.second(s.second);
      stats.scheduled += s.scheduled;
      stats.sent += s.sent;
      stats.okEnded += s.okEnded;
      for (const [phase, n] of Object.entries(s.okEndedByPhase))
        stats.okEndedByPhase[Number(phase)] = (stats.okEndedByPhase[Number(phase)] ?? 0) + n;
      stats.errorEnded += s.errorEnded;
      stats.inflightSum += s.inflightSum;
      stats.inflightSamples += s.inflightSamples;
      // Workers' in-flight counts add up at any instant; the sum of maxima bounds the true maximum.
      stats.inflightMax += s.inflightMax;
      stats.lag.add(decodeHistogram(s.lag));
      stats.dispatchLag.add(decodeHistogram(s.dispatchLag));
    }
    for (const f of snapshot.firstByte) {
      const key = `${f.phase}:${f.kind}`;
      this.firstByte.set(key, mergeInto(this.firstByte.get(key), decodeHistogram(f.histogram)));
    }
    for (const s of snapshot.stages) {
      const key = `${s.phase}:${s.stage}`;
      this.stages.set(key, mergeInto(this.stages.get(key), decodeHistogram(s.histogram)));
    }
  }
}

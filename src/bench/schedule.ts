/**
 * The absolute send schedule: arrival n is due at Λ⁻¹(n) after t0, where Λ(t) = ∫₀ᵗ rate is the
 * cumulative offered load over the phases (constant or linear ramps). Nothing about earlier
 * responses moves a due time. Uniform arrivals take n = 0, 1, 2…; Poisson arrivals take
 * n = E₁ + E₂ + … with Eᵢ exponential (mean 1), i.e. a Poisson process of the same intensity.
 *
 * Worker w of W sends a disjoint slice: uniform arrivals w, w+W, w+2W…; Poisson arrivals from
 * its own process of intensity Λ/W (independent Poisson processes superpose to one of rate Λ).
 */

export interface PhaseRate {
  name: string;
  /** Seconds. */
  duration: number;
  from: number;
  to: number;
}

export interface PhaseWindow extends PhaseRate {
  /** Seconds after t0. */
  start: number;
  end: number;
  /** Λ at the phase start and end. */
  countStart: number;
  countEnd: number;
}

export function phaseWindows(phases: readonly PhaseRate[]): PhaseWindow[] {
  let start = 0;
  let count = 0;
  return phases.map((phase) => {
    const countEnd = count + ((phase.from + phase.to) / 2) * phase.duration;
    const window = { ...phase, start, end: start + phase.duration, countStart: count, countEnd };
    start += phase.duration;
    count = countEnd;
    return window;
  });
}

/** Offered rate at `t` seconds after t0 (0 after the last phase). */
export function rateAt(windows: readonly PhaseWindow[], t: number): number {
  for (const w of windows)
    if (t >= w.start && t < w.end) return w.from + ((w.to - w.from) * (t - w.start)) / w.duration;
  return 0;
}

/** Seconds after t0 at which Λ reaches `n` inside phase `w` (caller checks n is in range). */
export function timeOfCount(w: PhaseWindow, n: number): number {
  const inside = n - w.countStart;
  const a = (w.to - w.from) / (2 * w.duration);
  // Root of a·τ² + from·τ − inside = 0 in the cancellation-free form.
  const root = Math.sqrt(Math.max(0, w.from * w.from + 4 * a * inside));
  const tau = inside === 0 ? 0 : (2 * inside) / (w.from + root);
  return w.start + Math.min(tau, w.duration);
}

/** Small seeded PRNG (mulberry32): the same seed gives the same Poisson schedule. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ScheduleSliceOptions {
  phases: readonly PhaseRate[];
  arrivals: 'uniform' | 'poisson';
  worker: number;
  workers: number;
  seed: number;
}

export interface Arrival {
  /** Seconds after t0. */
  at: number;
  phase: number;
  /** Unique over all workers; picks the request kind. */
  seq: number;
}

/** The arrivals of one worker's slice, in time order; `next()` returns undefined at the end. */
export class ScheduleSlice {
  private readonly windows: PhaseWindow[];
  private readonly random: () => number;
  private phase = 0;
  private n: number;
  private taken = 0;

  constructor(private readonly options: ScheduleSliceOptions) {
    this.windows = phaseWindows(options.phases);
    this.random = seededRandom(options.seed * 7919 + options.worker * 104_729 + 1);
    this.n = options.arrivals === 'uniform' ? options.worker : this.gap();
  }

  get phaseWindows(): readonly PhaseWindow[] {
    return this.windows;
  }

  next(): Arrival | undefined {
    const { workers } = this.options;
    for (;;) {
      const w = this.windows[this.phase];
      if (w === undefined) return undefined;
      if (this.n >= w.countEnd || w.countEnd === w.countStart) {
        this.phase++;
        continue;
      }
      const at = timeOfCount(w, this.n);
      const arrival = { at, phase: this.phase, seq: this.taken * workers + this.options.worker };
      this.taken++;
      this.n += this.options.arrivals === 'uniform' ? workers : this.gap();
      return arrival;
    }
  }

  /** Exponential gap of the slice's process (intensity Λ/W, so gaps in Λ have mean W). */
  private gap(): number {
    return -Math.log(1 - this.random()) * this.options.workers;
  }
}

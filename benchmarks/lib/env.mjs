// Benchmark knobs, all overridable from the environment so a smoke run fits in under a minute.

/** Reads a positive number from the environment, falling back to `fallback`. */
export function envNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

/** Reads a comma-separated list from the environment. */
export function envList(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** BENCH_QUICK=1 changes the defaults to a smoke run (< 1 minute); explicit knobs still win. */
export function proxyBenchConfig() {
  const quick = process.env.BENCH_QUICK === '1';
  return {
    /** Interleaved rounds over all targets; the report takes medians (see lib/rounds.mjs). */
    rounds: Math.max(1, envNumber('BENCH_ROUNDS', quick ? 1 : 3)),
    seconds: envNumber('BENCH_SECONDS', quick ? 3 : 8),
    warmupSeconds: envNumber('BENCH_WARMUP_SECONDS', quick ? 1 : 2),
    cooldownSeconds: envNumber('BENCH_COOLDOWN_SECONDS', quick ? 0.2 : 1),
    wrkThreads: envNumber('BENCH_THREADS', 2),
    wrkConnections: envNumber('BENCH_CONNECTIONS', 64),
    openRate: envNumber('BENCH_OPEN_RATE', 2000),
    // A p99 over 10 s at 2,000 RPS rests on 200 samples and moves ±0.5 ms between runs; longer is firmer.
    openSeconds: envNumber('BENCH_OPEN_SECONDS', envNumber('BENCH_SECONDS', quick ? 3 : 10)),
    openConnections: envNumber('BENCH_OPEN_CONNECTIONS', 32),
    /** 0 = one per core ("all workers"). */
    turnpikeWorkers: envNumber('BENCH_TURNPIKE_WORKERS', 0),
    // Shared machines: wait for other jobs to go quiet before each run, and repeat disturbed runs.
    quietWaitSeconds: envNumber('BENCH_QUIET_WAIT_SECONDS', quick ? 0 : 30),
    retries: envNumber('BENCH_RETRIES', quick ? 0 : 2),
    targets: envList('BENCH_TARGETS', [
      'direct',
      'nginx',
      'express',
      'floor',
      'turnpike-1',
      'turnpike-1-tenancy',
      'turnpike-all',
      'turnpike-all-tenancy',
    ]),
  };
}

export function soakConfig() {
  return {
    minutes: envNumber('SOAK_MINUTES', 10),
    /** Load before the measured minutes (JIT, connection set-up); excluded from latency totals. */
    warmupSeconds: envNumber('SOAK_WARMUP_SECONDS', 10),
    rate: envNumber('SOAK_RATE', 2000),
    connections: envNumber('SOAK_CONNECTIONS', 32),
    sampleSeconds: envNumber('SOAK_SAMPLE_SECONDS', 10),
    flapSeconds: envNumber('SOAK_FLAP_SECONDS', 7),
    workers: envNumber('SOAK_WORKERS', 0), // 0 = one per core
  };
}

/**
 * Settings shared by the property tests in test/fuzz. `npm test` runs them with a fixed seed and
 * a bounded number of cases; `npm run fuzz` (docs/fuzzing.md) raises the count and picks a seed.
 *
 * - FUZZ_SEED: the seed (default 20261207, so a failure in `npm test` reproduces as is).
 * - FUZZ_RUNS: cases of a property of weight 1 (default 500); each property scales it.
 * - FUZZ_SECONDS: stop each property after this long (still a pass); 0 = no time bound.
 */
import fc from 'fast-check';

const DEFAULT_SEED = 20261207;
const DEFAULT_RUNS = 500;

function envNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
}

export const FUZZ_SEED = envNumber('FUZZ_SEED', DEFAULT_SEED) | 0;
const RUNS = envNumber('FUZZ_RUNS', DEFAULT_RUNS);
const SECONDS = envNumber('FUZZ_SECONDS', 0);
/** True under `npm run fuzz`: tests then get no vitest timeout. */
export const LONG_MODE = process.env.FUZZ_RUNS !== undefined || SECONDS > 0;
/** Timeout of a fuzz test: vitest's usual bound unless running long. */
export const FUZZ_TIMEOUT = LONG_MODE ? 2 ** 31 - 1 : 60_000;

/** Cases run per property in this process, for the summary printed by `reportCases`. */
const casesRun = new Map<string, number>();

/**
 * Checks `property` with the shared seed and `weight` × FUZZ_RUNS cases (at least 1); throws
 * fast-check's report (seed, path and shrunk counterexample) on failure. `extra`: more
 * fast-check parameters (e.g. `endOnFailure` where shrinking would wait on timeouts).
 */
export async function checkProperty<T>(
  name: string,
  property: fc.IRawProperty<T>,
  weight = 1,
  extra: Omit<fc.Parameters<T>, 'seed' | 'numRuns'> = {},
): Promise<void> {
  const numRuns = Math.max(1, Math.round(RUNS * weight));
  const parameters: fc.Parameters<T> = { ...extra, seed: FUZZ_SEED, numRuns };
  if (SECONDS > 0) parameters.interruptAfterTimeLimit = SECONDS * 1000;
  const details = await fc.check(property, parameters);
  const ran = details.numRuns + details.numSkips;
  casesRun.set(name, (casesRun.get(name) ?? 0) + ran);
  if (details.failed) {
    const cause = details.errorInstance;
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    throw new Error(`${name}: ${fc.defaultReportMessage(details)}\nGot: ${reason}`, { cause });
  }
}

/** Prints how many cases each property ran (call from afterAll). */
export function reportCases(file: string): void {
  const lines = [...casesRun].map(([name, count]) => `  ${name}: ${count} cases`);
  const total = [...casesRun.values()].reduce((sum, count) => sum + count, 0);
  console.log(`fuzz ${file} (seed ${FUZZ_SEED}): ${total} cases\n${lines.join('\n')}`);
}

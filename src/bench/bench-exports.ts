/**
 * `turnpike/bench`: the load generator as a library, for the scripts in benchmarks/ (they import
 * it by package name, not by a path into dist/).
 */
export { type ScenarioResult, validateScenario } from './load-scenario.js';
export { type BenchRunOptions, runBench } from './run-bench.js';

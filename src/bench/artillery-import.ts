/**
 * Reads the simple subset of Artillery configs so their users can bring their files:
 * `config.target`, `config.phases[]` (`duration`, `arrivalRate`, `rampTo`, `name`),
 * `config.defaults.headers`, `config.ensure` (`p50`…`p99`, `max`, `maxErrorRate`) and
 * `scenarios[].flow` steps `get` / `post` with `url`, `json`, `body`, `headers`.
 * Each flow step becomes a request kind: the open model sends independent requests, it does not
 * replay a virtual user's flow in order (docs/bench.md says what that changes).
 */
import type { ConfigIssue } from '../config/load.js';
import type { ScenarioInput } from './scenario-schema.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** True when the document looks like an Artillery script (top-level `config` and `scenarios`). */
export function isArtilleryScript(raw: unknown): boolean {
  return isObject(raw) && isObject(raw.config) && 'scenarios' in raw;
}

export type ArtilleryResult = { ok: true; scenario: ScenarioInput } | { ok: false; issues: ConfigIssue[] };

export function fromArtillery(raw: Json): ArtilleryResult {
  const issues: ConfigIssue[] = [];
  const issue = (path: string, message: string) => issues.push({ path, message });
  const config = raw.config as Json;

  if (typeof config.target !== 'string') issue('config.target', 'expected the target URL');
  const phases: NonNullable<ScenarioInput['phases']> = [];
  if (!Array.isArray(config.phases) || config.phases.length === 0) issue('config.phases', 'expected a list');
  else
    for (const [i, phase] of (config.phases as unknown[]).entries()) {
      const at = `config.phases[${i}]`;
      if (!isObject(phase)) {
        issue(at, 'expected an object');
        continue;
      }
      for (const key of Object.keys(phase))
        if (!['duration', 'arrivalRate', 'rampTo', 'name'].includes(key))
          issue(`${at}.${key}`, 'not supported (use duration, arrivalRate, rampTo)');
      const rate = Number(phase.arrivalRate);
      if (!Number.isFinite(rate) || rate < 0) {
        issue(`${at}.arrivalRate`, 'expected a rate');
        continue;
      }
      const name =
        typeof phase.name === 'string' ? phase.name.replace(/[^A-Za-z0-9_-]+/g, '-') : `phase-${i + 1}`;
      const duration = phase.duration as number | string;
      if (phase.rampTo === undefined) phases.push({ name, duration, rate });
      else phases.push({ name, duration, from: rate, to: Number(phase.rampTo) });
    }

  const requests: NonNullable<ScenarioInput['requests']> = [];
  if (!Array.isArray(raw.scenarios) || raw.scenarios.length === 0) issue('scenarios', 'expected a list');
  else
    for (const [s, scenario] of (raw.scenarios as unknown[]).entries()) {
      const at = `scenarios[${s}]`;
      if (!isObject(scenario) || !Array.isArray(scenario.flow)) {
        issue(`${at}.flow`, 'expected a list');
        continue;
      }
      const weight = scenario.weight === undefined ? 1 : Number(scenario.weight);
      const steps = scenario.flow.length;
      for (const [f, step] of (scenario.flow as unknown[]).entries()) {
        const stepAt = `${at}.flow[${f}]`;
        if (!isObject(step)) {
          issue(stepAt, 'expected an object');
          continue;
        }
        const verb = 'get' in step ? 'get' : 'post' in step ? 'post' : undefined;
        if (verb === undefined) {
          issue(stepAt, `only get and post are supported, got ${Object.keys(step)}`);
          continue;
        }
        const spec = step[verb];
        if (!isObject(spec) || typeof spec.url !== 'string') {
          issue(`${stepAt}.${verb}.url`, 'expected a path');
          continue;
        }
        for (const key of Object.keys(spec))
          if (!['url', 'json', 'body', 'headers', 'name'].includes(key))
            issue(`${stepAt}.${verb}.${key}`, 'not supported (use url, json, body, headers)');
        const path = spec.url.startsWith('/') ? spec.url : `/${spec.url}`;
        const http: Json = { method: verb.toUpperCase() };
        if (spec.json !== undefined) http.json = spec.json;
        if (typeof spec.body === 'string') http.body = spec.body;
        requests.push({
          name:
            typeof spec.name === 'string'
              ? spec.name
              : `${verb.toUpperCase()}:${path}`.replace(/[^A-Za-z0-9_.:/-]/g, '_'),
          // A flow of n steps sends each step at 1/n of the scenario's share.
          weight: weight / steps,
          path,
          ...(isObject(spec.headers) && { headers: spec.headers as Record<string, string> }),
          http: http as { method: 'GET' | 'POST' },
        });
      }
    }

  const defaults = isObject(config.defaults) ? config.defaults : {};
  const thresholds = isObject(config.ensure) ? ensureThresholds(config.ensure, issue) : [];
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    scenario: {
      target: config.target as string,
      phases,
      requests,
      ...(isObject(defaults.headers) && { headers: defaults.headers as Record<string, string> }),
      thresholds,
    },
  };
}

/** `ensure: { p99: 200, maxErrorRate: 1 }` (milliseconds, percent) as threshold rules. */
function ensureThresholds(ensure: Json, issue: (path: string, message: string) => void): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(ensure)) {
    if (['p50', 'p75', 'p90', 'p95', 'p99', 'p999', 'max'].includes(key) && typeof value === 'number')
      out.push(`${key === 'p999' ? 'p99.9' : key} < ${value}ms`);
    else if (key === 'maxErrorRate' && typeof value === 'number') out.push(`errors <= ${value}%`);
    else issue(`config.ensure.${key}`, 'not supported (use p50…p999, max, maxErrorRate)');
  }
  return out;
}

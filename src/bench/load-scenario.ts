/**
 * Reads a scenario file (Turnpike's own format or a simple Artillery script), interpolates
 * `${ENV}`, validates it and checks its thresholds parse; every mistake comes back with its path.
 */
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { type ConfigIssue, formatPath, interpolateEnv } from '../config/load.js';
import { parseYamlText, readYamlFile } from '../config/yaml-file.js';
import { fromArtillery, isArtilleryScript } from './artillery-import.js';
import { moduleUrl } from './request-module.js';
import { type Scenario, scenarioSchema } from './scenario-schema.js';
import { parseThreshold } from './thresholds.js';

export type ScenarioResult =
  | { ok: true; scenario: Scenario; format: 'turnpike' | 'artillery' }
  | { ok: false; issues: ConfigIssue[] };

function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({
    path: formatPath(issue.path),
    message: issue.code === 'unrecognized_keys' ? `unknown key(s): ${issue.keys.join(', ')}` : issue.message,
  }));
}

export function validateScenario(raw: unknown, env: NodeJS.ProcessEnv = process.env): ScenarioResult {
  const issues: ConfigIssue[] = [];
  let input = interpolateEnv(raw ?? {}, env, issues);
  let format: 'turnpike' | 'artillery' = 'turnpike';
  if (isArtilleryScript(input)) {
    format = 'artillery';
    const converted = fromArtillery(input as Record<string, unknown>);
    if (!converted.ok) return { ok: false, issues: [...issues, ...converted.issues] };
    input = converted.scenario;
  }
  const parsed = scenarioSchema.safeParse(input);
  if (!parsed.success) issues.push(...zodIssues(parsed.error));
  else {
    const phases = parsed.data.phases.map((phase) => phase.name);
    parsed.data.thresholds.forEach((rule, index) => {
      const threshold = parseThreshold(rule, phases);
      if (!threshold.ok) issues.push({ path: `thresholds[${index}]`, message: threshold.message });
    });
  }
  if (issues.length > 0 || !parsed.success) return { ok: false, issues };
  return { ok: true, scenario: parsed.data, format };
}

export function parseScenarioText(text: string, env: NodeJS.ProcessEnv = process.env): ScenarioResult {
  const read = parseYamlText(text);
  return read.ok ? validateScenario(read.raw, env) : { ok: false, issues: read.issues };
}

export async function loadScenarioFile(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ScenarioResult> {
  const read = await readYamlFile(file);
  if (!read.ok) return { ok: false, issues: read.issues };
  const result = validateScenario(read.raw, env);
  // A `generate` module is found next to the scenario file, wherever bench runs from.
  if (result.ok)
    for (const request of result.scenario.requests)
      if (request.generate)
        request.generate.module = moduleUrl(request.generate.module, dirname(resolve(file)));
  return result;
}

/** Reads YAML, interpolates `${ENV}` / `${ENV:-default}`, validates once, reports every mistake by path. */
import type { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.js';
import { configSchema, type TurnpikeConfig } from './schema.js';
import { parseYamlText, readYamlFile } from './yaml-file.js';

export interface ConfigIssue {
  path: string;
  message: string;
}

export type ConfigResult = { ok: true; config: TurnpikeConfig } | { ok: false; issues: ConfigIssue[] };

/**
 * A default holds no `{` or `}`: with `[^}]*`, a string of unclosed `${A:-` was rescanned to
 * its end from every `${` (quadratic).
 */
const ENV_PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^{}]*))?\}/g;

/** Replaces `${NAME}` and `${NAME:-fallback}` in every string; a missing variable is an issue. */
export function interpolateEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_PATTERN, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      // As in the shell: `:-` also replaces a variable that is set but empty.
      if (found !== undefined && (found !== '' || fallback === undefined)) return found;
      if (fallback !== undefined) return fallback;
      issues.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, issues, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = interpolateEnv(item, env, issues, [...path, key]);
    return out;
  }
  return value;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown key(s): ${issue.keys.join(', ')}`;
    // A bad record key (network name) carries the key schema's own message one level down.
    else if (issue.code === 'invalid_key' && issue.issues.length > 0)
      message = issue.issues.map((inner) => inner.message).join('; ');
    return { path: formatPath(issue.path), message };
  });
}

export function validateConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const issues: ConfigIssue[] = [];
  const interpolated = interpolateEnv(raw ?? {}, env, issues);
  const parsed = configSchema.safeParse(interpolated);
  if (!parsed.success) issues.push(...zodIssues(parsed.error));
  if (issues.length > 0 || !parsed.success) return { ok: false, issues };
  return { ok: true, config: parsed.data };
}

export function parseConfigText(text: string, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const read = parseYamlText(text);
  return read.ok ? validateConfig(read.raw, env) : { ok: false, issues: read.issues };
}

export async function loadConfigFile(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ConfigResult> {
  const read = await readYamlFile(file);
  return read.ok ? validateConfig(read.raw, env) : { ok: false, issues: read.issues };
}

/** Validates or throws ERR_CONFIG_INVALID listing every issue. */
export function resolveConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): TurnpikeConfig {
  const result = validateConfig(raw, env);
  if (result.ok) return result.config;
  throw new GatewayError('ERR_CONFIG_INVALID', formatIssues(result.issues), {
    data: { issues: result.issues },
  });
}

export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message}`).join('\n');
}

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${NAME}` is the config file's own syntax, not a template.
/**
 * Keeps the prose honest: every config option (walked from the zod schema), error code and metric
 * name is documented with the right values, nothing documented is gone from the code, every
 * example config validates, and the README links resolve.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfigFile } from '../src/config/load.js';
import { configSchema } from '../src/config/schema.js';
import { ERROR_CODES } from '../src/errors/codes.js';
import { METRIC } from '../src/metrics/names.js';
import { ROOT } from './support/cli.js';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

// ---------------------------------------------------------------------------------------------
// The zod schema as a list of option paths (zod 4 keeps the structure in `schema._zod.def`).

interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  valueType?: Schema;
  element?: Schema;
  defaultValue?: unknown;
}
interface Schema {
  _zod: { def: Def };
}

/** Wrappers that change optionality or defaults but not the shape. */
const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional']);

interface Unwrapped {
  def: Def;
  /** Present when the option has a default (the outermost one wins). */
  defaultValue?: { value: unknown };
}

function unwrap(schema: Schema): Unwrapped {
  let def = schema._zod.def;
  let defaultValue: { value: unknown } | undefined;
  for (;;) {
    if ((def.type === 'default' || def.type === 'prefault') && defaultValue === undefined)
      defaultValue = { value: def.defaultValue };
    if (WRAPPERS.has(def.type) && def.innerType !== undefined) def = def.innerType._zod.def;
    else if (def.type === 'pipe' && def.in !== undefined) def = def.in._zod.def;
    else break;
  }
  return defaultValue === undefined ? { def } : { def, defaultValue };
}

interface OptionPath {
  path: string;
  /** Scalar options (not objects that only group other options). */
  leaf: boolean;
  defaultValue?: { value: unknown };
}

/** `server.port`, `networks.<name>.upstreams[].pool.connections`, … */
function optionPaths(schema: Schema, path = '', out: OptionPath[] = []): OptionPath[] {
  const { def, defaultValue } = unwrap(schema);
  const child = (type: string | undefined) => type === 'object';
  const here = (leaf: boolean) => {
    if (path !== '') out.push({ path, leaf, ...(defaultValue !== undefined && { defaultValue }) });
  };
  if (def.type === 'object' && def.shape !== undefined) {
    here(false);
    for (const [key, value] of Object.entries(def.shape))
      optionPaths(value, path ? `${path}.${key}` : key, out);
  } else if (def.type === 'record' && def.valueType !== undefined && child(unwrap(def.valueType).def.type)) {
    here(false);
    optionPaths(def.valueType, `${path}.<name>`, out);
  } else if (def.type === 'array' && def.element !== undefined && child(unwrap(def.element).def.type)) {
    here(false);
    optionPaths(def.element, `${path}[]`, out);
  } else {
    here(true);
  }
  return out;
}

/** How a default is written in the doc's default column. */
function formatDefault(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Cells of the markdown table rows whose first cell is a backticked name matching `pattern`. */
function tableRows(markdown: string, pattern: RegExp): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('| `')) continue;
    // Split on pipes that are not escaped (`\|` appears inside enum types).
    const cells = line
      .slice(1, line.endsWith('|') ? -1 : undefined)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim());
    const name = /^`([^`]+)`/.exec(cells[0] ?? '')?.[1];
    if (name !== undefined && pattern.test(name)) rows.set(name, cells);
  }
  return rows;
}

describe('docs/configuration.md', () => {
  const doc = read('docs/configuration.md');
  const options = optionPaths(configSchema as unknown as Schema);
  const rows = tableRows(
    doc,
    /^(server|logging|storage|tenancy|cache|relayer|realtime|consistency|networks)\b/,
  );

  it('the schema walk finds the options (guards the walker itself)', () => {
    const paths = options.map((option) => option.path);
    expect(paths).toContain('server.maxBodyBytes');
    expect(paths).toContain('networks.<name>.upstreams[].pool.connections');
    expect(paths).toContain('networks.<name>.failsafe.breaker.halfOpenProbes');
    expect(options.find((option) => option.path === 'networks.<name>.upstreams[].headers')?.leaf).toBe(true);
    expect(options.length).toBeGreaterThan(50);
  });

  it('has a row for every option of the schema', () => {
    const missing = options.map((option) => option.path).filter((path) => !rows.has(path));
    expect(missing, 'options missing from docs/configuration.md').toEqual([]);
  });

  it('states the default of every option that has one', () => {
    const wrong: string[] = [];
    for (const option of options) {
      if (!option.leaf || option.defaultValue === undefined) continue;
      const expected = `\`${formatDefault(option.defaultValue.value)}\``;
      const cell = rows.get(option.path)?.[2] ?? '';
      if (!cell.includes(expected))
        wrong.push(`${option.path}: default column "${cell}", expected ${expected}`);
    }
    expect(wrong).toEqual([]);
  });

  it('documents no option that the schema does not have', () => {
    const known = new Set(options.map((option) => option.path));
    expect([...rows.keys()].filter((path) => !known.has(path))).toEqual([]);
  });

  it('explains env interpolation, validate and the CLI overrides', () => {
    for (const text of [
      '${NAME}',
      '${NAME:-default}',
      'turnpike validate',
      '--port',
      '--workers',
      '--config',
    ])
      expect(doc).toContain(text);
  });
});

// ---------------------------------------------------------------------------------------------

describe('docs/errors.md', () => {
  const doc = read('docs/errors.md');
  const rows = tableRows(doc, /^ERR_[A-Z_]+$/);

  it('documents every error code with its JSON-RPC code, HTTP status and retry scope', () => {
    const wrong: string[] = [];
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      const cells = rows.get(code);
      if (cells === undefined) {
        wrong.push(`${code}: missing`);
        continue;
      }
      const [, rpc, http, retry, when] = cells;
      if (rpc !== String(spec.rpc)) wrong.push(`${code}: JSON-RPC code ${rpc}, expected ${spec.rpc}`);
      if (http !== String(spec.http)) wrong.push(`${code}: HTTP status ${http}, expected ${spec.http}`);
      if (retry !== `\`${spec.retry}\``) wrong.push(`${code}: retry ${retry}, expected \`${spec.retry}\``);
      if ((when ?? '').length < 20) wrong.push(`${code}: no explanation of when it happens`);
    }
    expect(wrong).toEqual([]);
  });

  it('lists no code that no longer exists', () => {
    const mentioned = new Set(doc.match(/\bERR_[A-Z][A-Z_]*[A-Z]\b/g) ?? []);
    expect([...mentioned].filter((code) => !(code in ERROR_CODES))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('docs/operations.md', () => {
  const doc = read('docs/operations.md');

  it('documents every metric in src/metrics/names.ts, and no metric that is gone', () => {
    const names = Object.values(METRIC) as string[];
    expect(names.filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
    // Recorded series (`level:turnpike_…:operation`, deploy/prometheus/alerts.yml) are not metrics.
    const mentioned = new Set(doc.match(/(?<!:)\bturnpike_[a-z_]+\b(?!:)/g) ?? []);
    expect([...mentioned].filter((name) => !names.includes(name))).toEqual([]);
  });

  it('covers signals, health endpoints, headers and load balancers', () => {
    for (const text of [
      'SIGTERM',
      '/healthz',
      '/readyz',
      '/metrics',
      'Server-Timing',
      'X-Turnpike-Upstream',
      'keepAliveTimeoutMs',
      'nginx',
      'HAProxy',
      'Kubernetes',
    ])
      expect(doc).toContain(text);
  });
});

// ---------------------------------------------------------------------------------------------

function stringValues(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringValues);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringValues);
  return [];
}

describe('examples/', () => {
  const files = readdirSync(join(ROOT, 'examples')).filter((name) => /\.ya?ml$/.test(name));

  it('holds the documented examples', () => {
    expect(files).toEqual(expect.arrayContaining(['multichain.yaml', 'path-gateways.yaml']));
  });

  it.each(files)('%s is a valid config once its ${ENV} variables are set', async (name) => {
    const path = join(ROOT, 'examples', name);
    // Every variable without a default (in values, not comments) must be provided; give each a
    // placeholder value.
    const required = [
      ...new Set(
        stringValues(parseYaml(readFileSync(path, 'utf8'))).flatMap((value) =>
          [...value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((match) => match[1]!),
        ),
      ),
    ];
    const env: NodeJS.ProcessEnv = {};
    for (const variable of required) env[variable] = `test-${variable.toLowerCase()}`;
    const result = await loadConfigFile(path, env);
    expect(result.ok ? [] : result.issues).toEqual([]);

    // And without them, each missing variable is reported (the example really depends on them).
    if (required.length > 0) {
      const bare = await loadConfigFile(path, {});
      expect(bare.ok).toBe(false);
      if (!bare.ok)
        for (const variable of required)
          expect(bare.issues.map((issue) => issue.message)).toContain(
            `environment variable ${variable} is not set`,
          );
    }
  });

  it('multichain.yaml has several networks, several upstreams each, and a fallback tier', async () => {
    const result = await loadConfigFile(join(ROOT, 'examples', 'multichain.yaml'), {
      ALCHEMY_API_KEY: 'a',
      INFURA_API_KEY: 'b',
      DRPC_API_KEY: 'c',
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const networks = Object.values(result.config.networks);
    expect(networks.length).toBeGreaterThanOrEqual(3);
    for (const network of networks) {
      expect(network.upstreams.length).toBeGreaterThanOrEqual(2);
      expect(network.upstreams.some((upstream) => upstream.tier === 'fallback')).toBe(true);
    }
  });

  it('path-gateways.yaml routes one network to several PATH instances with Target-Service-Id', async () => {
    const result = await loadConfigFile(join(ROOT, 'examples', 'path-gateways.yaml'), { PATH_API_KEY: 'k' });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const [network, ...others] = Object.values(result.config.networks);
    expect(others).toEqual([]);
    expect(network!.upstreams.length).toBeGreaterThanOrEqual(3);
    for (const upstream of network!.upstreams) expect(upstream.headers['Target-Service-Id']).toBe('eth');
    expect(network!.serviceIds.length).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------

describe('README.md and docs/ links', () => {
  it('every relative link in README.md and docs/*.md points at an existing file', () => {
    const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((name) => `docs/${name}`)].filter(
      (page) => page.endsWith('.md'),
    );
    const broken: string[] = [];
    for (const page of pages) {
      const base = join(ROOT, page, '..');
      for (const [, target] of read(page).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (target === undefined || /^[a-z]+:/.test(target)) continue;
        // docs/benchmarks.md is written by the benchmark scripts' owner; tolerate it being absent.
        if (target.endsWith('benchmarks.md')) continue;
        if (!existsSync(join(base, target))) broken.push(`${page} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('README.md links every reference page and has the quickstart', () => {
    const readme = read('README.md');
    for (const page of [
      'docs/configuration.md',
      'docs/operations.md',
      'docs/architecture.md',
      'docs/errors.md',
      'docs/benchmarks.md',
    ])
      expect(readme).toContain(`](${page})`);
    for (const step of ['npm install', 'npx turnpike dev', 'npm test', 'http://127.0.0.1:4000/local'])
      expect(readme).toContain(step);
  });
});

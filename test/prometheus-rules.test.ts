/**
 * deploy/: the Prometheus rules pass Debian's promtool (`check rules`, and `test rules` with a unit
 * test for every alert), prometheus.yml is a valid config that loads them, every alert names a
 * runbook section that exists in docs/operations.md, and the Grafana dashboards are importable as
 * they are: Grafana 10+ JSON model, one datasource variable and no hard-coded datasource uid.
 * That every expression returns data from a live gateway is prometheus-live.test.ts.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PROMTOOL } from './support/prometheus-server.js';
import {
  DEPLOY,
  loadDashboards,
  loadRules,
  metricNamesIn,
  panelExpressions,
  RULES_FILE,
} from './support/promql-sources.js';

const run = promisify(execFile);
const PROMETHEUS_DIR = join(DEPLOY, 'prometheus');
const TESTS_DIR = join(PROMETHEUS_DIR, 'tests');
const OPERATIONS = new URL('../docs/operations.md', import.meta.url);
/** Grafana's reference to the dashboard's `datasource` variable (a literal, not a JS template). */
const DATASOURCE_VARIABLE = '$' + '{datasource}';

/** promtool's exit code and output (it exits non-zero on a failed check). */
async function promtool(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(PROMTOOL, args, { cwd: PROMETHEUS_DIR });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/** GitHub's anchor of a Markdown heading. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replaceAll(' ', '-');
}

const rules = loadRules();
const alerts = rules.filter((rule) => rule.alert !== undefined);
const recorded = new Set(rules.flatMap((rule) => (rule.record === undefined ? [] : [rule.record])));
const dashboards = loadDashboards();

describe('Prometheus rules', () => {
  it('pass promtool check rules', async () => {
    const result = await promtool(['check', 'rules', RULES_FILE]);
    expect(result.output).toContain('SUCCESS');
    expect(result.code, result.output).toBe(0);
  });

  it('pass their promtool unit tests', async () => {
    const files = readdirSync(TESTS_DIR).filter((name) => name.endsWith('.yml'));
    expect(files.length).toBeGreaterThan(0);
    const result = await promtool(['test', 'rules', ...files.map((name) => join(TESTS_DIR, name))]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('SUCCESS');
  });

  it('prometheus.yml is a valid config that loads the rules', async () => {
    const result = await promtool(['check', 'config', 'prometheus.yml']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('every alert has a unit test that expects it to fire', () => {
    const fired = new Set<string>();
    for (const name of readdirSync(TESTS_DIR).filter((file) => file.endsWith('.yml'))) {
      const doc = parseYaml(readFileSync(join(TESTS_DIR, name), 'utf8')) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
      };
      for (const test of doc.tests)
        for (const check of test.alert_rule_test ?? [])
          if (check.exp_alerts.length > 0) fired.add(check.alertname);
    }
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    expect(alerts.map((rule) => rule.alert).filter((name) => !fired.has(name!))).toEqual([]);
  });

  it('every alert has a severity, a summary and a runbook section in docs/operations.md', () => {
    const anchors = new Set(
      readFileSync(OPERATIONS, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('#'))
        .map((line) => anchor(line.replace(/^#+/, ''))),
    );
    for (const rule of alerts) {
      expect(rule.labels?.severity, rule.alert).toMatch(/^(critical|warning|info)$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      const runbook = rule.annotations?.runbook_url ?? '';
      expect(runbook, rule.alert).toBe(`docs/operations.md#${rule.alert!.toLowerCase()}`);
      expect(anchors.has(runbook.split('#')[1]!), `no heading "${rule.alert}" in docs/operations.md`).toBe(
        true,
      );
    }
  });

  it('recording rules follow level:metric:operation and are defined before use', () => {
    for (const rule of rules.filter((r) => r.record !== undefined))
      expect(rule.record).toMatch(/^[a-z_]+:turnpike_[a-z0-9_]+:[a-z0-9_]+$/);
    for (const rule of rules)
      for (const name of metricNamesIn(rule.expr))
        if (name.includes(':'))
          expect(recorded.has(name), `${rule.alert ?? rule.record} reads ${name}`).toBe(true);
  });
});

describe('Grafana dashboards', () => {
  it('cover overview, upstreams, tenancy, cache and relayer, each with a unique uid', () => {
    expect(dashboards.map((d) => d.file)).toEqual(
      expect.arrayContaining([
        'overview.json',
        'upstreams.json',
        'tenancy.json',
        'cache.json',
        'relayer.json',
      ]),
    );
    const uids = dashboards.map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) expect(uid).toMatch(/^[a-z0-9-]{1,40}$/);
  });

  it('are Grafana 10+ JSON models with a datasource variable and no hard-coded datasource', () => {
    for (const dashboard of dashboards) {
      const text = readFileSync(join(DEPLOY, 'grafana', dashboard.file), 'utf8');
      expect(dashboard.schemaVersion, dashboard.file).toBeGreaterThanOrEqual(38);
      expect(
        (JSON.parse(text) as { id: unknown }).id,
        `${dashboard.file}: id must be null to import`,
      ).toBeNull();
      const variable = dashboard.templating.list.find((v) => v.type === 'datasource');
      expect(variable, dashboard.file).toMatchObject({ name: 'datasource', query: 'prometheus' });
      // Every datasource reference is the variable (or Grafana's built-in annotations source).
      const uids = [...text.matchAll(/"uid":\s*"([^"]*)"/g)].map((m) => m[1]);
      const datasourceUids = [...text.matchAll(/"datasource":\s*\{[^}]*"uid":\s*"([^"]*)"/g)].map(
        (m) => m[1],
      );
      expect(datasourceUids.length).toBeGreaterThan(0);
      expect(new Set(datasourceUids.filter((uid) => uid !== '-- Grafana --'))).toEqual(
        new Set([DATASOURCE_VARIABLE]),
      );
      expect(uids).toContain(dashboard.uid);
    }
  });

  it('every panel has a place, a unique id and PromQL targets on the datasource variable', () => {
    for (const dashboard of dashboards) {
      const ids = dashboard.panels.map((panel) => panel.id);
      expect(new Set(ids).size, dashboard.file).toBe(ids.length);
      for (const panel of dashboard.panels) {
        expect(panel.gridPos.x + panel.gridPos.w, `${dashboard.file} › ${panel.title}`).toBeLessThanOrEqual(
          24,
        );
        if (panel.type === 'row') continue;
        expect(panel.targets?.length, `${dashboard.file} › ${panel.title}`).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) {
          expect(target.datasource).toEqual({ type: 'prometheus', uid: DATASOURCE_VARIABLE });
          expect(target.expr.trim()).not.toBe('');
        }
      }
    }
  });

  it('read only recorded series that the rules define', () => {
    const missing = panelExpressions(dashboards).flatMap(({ where, expr }) =>
      metricNamesIn(expr)
        .filter((name) => name.includes(':') && !recorded.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(missing).toEqual([]);
  });
});

describe('metricNamesIn', () => {
  it('finds metric names, not functions, labels, keywords, numbers or ranges', () => {
    expect(
      metricNamesIn(
        'topk(10, sum by (network, le) (rate(turnpike_x_bucket{status=~"ERR_.+", a="b"}[5m]))) / on (network) group_left sum without (instance) (a:turnpike_y:rate5m) > 0.5e3 and vector(0) or turnpike_z',
      ),
    ).toEqual(['a:turnpike_y:rate5m', 'turnpike_x_bucket', 'turnpike_z']);
  });
});

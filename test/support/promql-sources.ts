/**
 * Every PromQL expression Turnpike ships: the targets of the Grafana dashboards in
 * deploy/grafana/ and the rules of deploy/prometheus/alerts.yml, with helpers to make a panel's
 * expression runnable outside Grafana and to list the metric names an expression reads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
export const GRAFANA_DIR = join(DEPLOY, 'grafana');
export const RULES_FILE = join(DEPLOY, 'prometheus', 'alerts.yml');

export interface GrafanaTarget {
  readonly expr: string;
  // biome-ignore lint/suspicious/noExplicitAny: a target's other fields are checked by path.
  readonly [field: string]: any;
}

export interface GrafanaPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly datasource?: { type: string; uid: string };
  readonly targets?: GrafanaTarget[];
}

export interface GrafanaDashboard {
  readonly file: string;
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly panels: GrafanaPanel[];
  readonly templating: { list: { name: string; type: string; query: unknown; datasource?: unknown }[] };
}

export interface Rule {
  readonly group: string;
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export function loadDashboards(): GrafanaDashboard[] {
  return readdirSync(GRAFANA_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({ file: name, ...JSON.parse(readFileSync(join(GRAFANA_DIR, name), 'utf8')) }));
}

export function loadRules(): Rule[] {
  const doc = parseYaml(readFileSync(RULES_FILE, 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
  return doc.groups.flatMap((group) => group.rules.map((rule) => ({ ...rule, group: group.name })));
}

/** `{ where, expr }` for every target of every panel of every dashboard. */
export function panelExpressions(dashboards: readonly GrafanaDashboard[]): { where: string; expr: string }[] {
  return dashboards.flatMap((dashboard) =>
    dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({
        where: `${dashboard.file} › ${panel.title} › ${target.refId}`,
        expr: target.expr,
      })),
    ),
  );
}

/**
 * The expression as Grafana would send it with every template variable set to "All" (`.*`, the
 * dashboards' allValue) and `$__rate_interval` as a minute.
 */
export function substituteVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '5m')
    .replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(:[a-z]+)?\}|\$[A-Za-z_][A-Za-z0-9_]*/g, '.*');
}

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * Metric names an expression reads (scraped or recorded): identifiers outside strings, label
 * matchers, ranges and grouping lists that are not functions, keywords or numbers.
 */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const name = match[0];
    const before = bare[match.index - 1] ?? ' ';
    const after = bare.slice(match.index + name.length).trimStart();
    if (/[0-9.]/.test(before) || after.startsWith('(') || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names].sort();
}

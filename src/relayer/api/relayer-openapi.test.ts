import { describe, expect, it } from 'vitest';
import { relayerOpenApiDocument } from './relayer-openapi.js';
import { RELAYER_ROUTES } from './relayer-routes.js';

describe('relayer OpenAPI document', () => {
  // Through JSON, as a client reads it.
  const doc = JSON.parse(JSON.stringify(relayerOpenApiDocument()));

  it('lists every route of the table with its success and error answers', () => {
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.values(doc.paths as Record<string, object>).flatMap((path) =>
      Object.keys(path),
    );
    expect(operations).toHaveLength(RELAYER_ROUTES.length);
    for (const route of RELAYER_ROUTES) {
      const operation = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation.operationId).toBe(route.operationId);
      expect(Object.keys(operation.responses)).toEqual([String(route.status), ...route.errors.map(String)]);
      if (route.open === true) expect(operation.security).toEqual([]);
    }
    const parameters = doc.paths['/v1/transfers/{id}'].get.parameters;
    expect(parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    const query = doc.paths['/v1/transfers'].post.parameters.map((p: { name: string }) => p.name);
    expect(query).toEqual(['wait', 'timeoutMs']);
  });

  it('points every reference at something it defines', () => {
    const text = JSON.stringify(doc);
    const refs = [...text.matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g)];
    expect(refs.length).toBeGreaterThan(20);
    for (const [, section = '', name = ''] of refs)
      expect(doc.components[section]?.[name], name).toBeDefined();
    expect(doc.components.schemas.Error.properties.error.required).toEqual(['code', 'message']);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header' });
  });
});

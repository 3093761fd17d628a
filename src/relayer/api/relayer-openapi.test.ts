import { describe, expect, it } from 'vitest';
import { relayerOpenApiDocument } from './relayer-openapi.js';
import { relayerRequestSchemas } from './relayer-request-schemas.js';
import { relayerRoutes } from './relayer-routes.js';
import { transferRules } from './transfer-fields.js';
import { waitQueryOf } from './wait-answers.js';

const USDC = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const DAI = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';
const rules = transferRules({ tokens: { USDC, DAI }, maxTransfersPerRequest: 7, maxMemoBytes: 16 });
const WAIT = { defaultTimeoutMs: 5_000, maxTimeoutMs: 45_000, pollMs: 100, maxWaiters: 10 };
const requests = relayerRequestSchemas(rules, WAIT);
const RELAYER_ROUTES = relayerRoutes(requests);

describe('relayer OpenAPI document', () => {
  // Through JSON, as a client reads it.
  const doc = JSON.parse(JSON.stringify(relayerOpenApiDocument(RELAYER_ROUTES, requests)));

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

  it('describes requests with the very schemas the intake validates with', () => {
    const { single, batch, sendFtSingle, sendFtBatch } = rules.bodies;
    expect(requests.transferRequest.options[0]).toBe(single.schema);
    expect(requests.transferRequest.options[1]).toBe(batch.schema);
    expect(requests.sendFtRequest.options[0]).toBe(sendFtSingle.schema);
    expect(requests.sendFtRequest.options[1]).toBe(sendFtBatch.schema);
    expect(requests.waitQuery).toBe(waitQueryOf(WAIT));
    const post = RELAYER_ROUTES.find((route) => route.operationId === 'createTransfers');
    expect(post?.body).toBe(requests.transferRequest);
    expect(post?.query).toBe(requests.waitQuery);
  });

  it("states this config's tokens and limits", () => {
    const { TransferInput, TransferRequest } = doc.components.schemas;
    expect(TransferInput.properties.token.description).toContain('USDC, DAI');
    expect(TransferInput.properties.memo.description).toContain('At most 16 UTF-8 bytes');
    expect(TransferInput.additionalProperties).toBe(false);
    const batch = TransferRequest.anyOf[1];
    expect(batch.properties.transfers).toMatchObject({
      minItems: 1,
      maxItems: 7,
      items: { $ref: '#/components/schemas/TransferInput' },
    });
    const timeout = doc.paths['/v1/transfers'].post.parameters[1];
    expect(timeout).toMatchObject({ name: 'timeoutMs', in: 'query', required: false });
    expect(timeout.description).toContain('1 to 45000');
    expect(doc.paths['/send-ft'].post.requestBody).toEqual({
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/SendFtRequest' } } },
    });
  });
});

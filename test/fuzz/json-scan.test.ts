/**
 * The JSON byte scanner (src/rpc/json-scan.ts) against JSON.parse: value bounds, object members
 * and array elements on valid and near-valid JSON, truncations, escapes, bracket kinds and the
 * nesting bound. The properties live in json-scan-properties.ts (the unit test runs them too).
 */
import { afterAll, describe, it } from 'vitest';
import { checkProperty, FUZZ_TIMEOUT, reportCases } from './fuzz-settings.js';
import { jsonScanProperties } from './json-scan-properties.js';

afterAll(() => reportCases('json-scan'));

describe('json byte scanner', () => {
  for (const { name, property, weight } of jsonScanProperties)
    it(name, () => checkProperty(name, property, weight), FUZZ_TIMEOUT);
});

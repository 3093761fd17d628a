import { describe, expect, it } from 'vitest';
import { chooseEncoding } from './accept-encoding.js';

describe('chooseEncoding', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['identity', undefined],
    ['br', undefined],
    ['gzip', 'gzip'],
    ['GZIP', 'gzip'],
    ['x-gzip', 'gzip'],
    ['deflate', 'deflate'],
    ['gzip, deflate, br', 'gzip'],
    ['deflate, gzip', 'gzip'],
    ['gzip;q=0.5, deflate', 'deflate'],
    ['gzip;q=0', undefined],
    ['gzip; q=0, deflate;q=0.1', 'deflate'],
    ['gzip;q=0.000', undefined],
    ['*', 'gzip'],
    ['*;q=0', undefined],
    ['gzip;q=0, *', 'deflate'],
    ['br, *;q=0.1', 'gzip'],
    ['gzip;q=banana', undefined],
    ['gzip;q=2', undefined],
  ] as const)('%j → %j', (header, expected) => {
    expect(chooseEncoding(header)).toBe(expected);
  });
});

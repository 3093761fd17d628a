import { describe, expect, it } from 'vitest';
import { closest, editDistance } from './suggest.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['port', '', 4],
    ['', 'port', 4],
    ['port', 'port', 0],
    ['prot', 'port', 1],
    ['prt', 'port', 1],
    ['porrt', 'port', 1],
    ['kitten', 'sitting', 3],
    ['ca', 'abc', 3],
  ])('%s → %s is %i', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
    expect(editDistance(b, a)).toBe(expected);
  });
});

describe('closest', () => {
  const flags = ['port', 'workers', 'config', 'help'];
  it('names a near flag or command', () => {
    expect(closest('prot', flags)).toBe('port');
    expect(closest('worker', flags)).toBe('workers');
    expect(closest('strat', ['start', 'dev', 'validate'])).toBe('start');
    expect(closest('kyes', ['keys', 'plans'])).toBe('keys');
  });
  it('names nothing when nothing is near', () => {
    expect(closest('bogus', flags)).toBeUndefined();
    expect(closest('frobnicate', ['start', 'dev', 'validate'])).toBeUndefined();
    expect(closest('x', [])).toBeUndefined();
  });
});

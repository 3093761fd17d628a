import { describe, expect, it } from 'vitest';
import { consistencySchema } from '../../config/consistency-schema.js';
import { SessionStore, UNKNOWN_MARK } from './session-store.js';
import type { SharedMarks } from './shared-marks.js';

const config = consistencySchema.parse({ sessions: { maxSessions: 2, sharedReadMs: 0 } });

/** Shared marks as Redis would give them (`undefined`: Redis did not answer). */
function sharedAnswering(read: number | undefined): SharedMarks {
  return {
    read: async () => read,
    raise: async (_network: string, _session: string, block: number) => block,
  } as unknown as SharedMarks;
}

describe('SessionStore', () => {
  it('keeps the highest mark and forgets the least recently used session', () => {
    const store = new SessionStore('eth', config, undefined);
    const a = store.state('a');
    store.raise('a', a, 10);
    store.raise('a', a, 7);
    expect(store.mark('a', a)).toBe(10);
    store.state('b');
    store.state('c');
    expect(store.size).toBe(2);
    expect(store.peek('a')).toBeUndefined();
  });

  it('takes a higher shared mark from Redis, and aims above every head when Redis does not answer', async () => {
    const fleet = new SessionStore('eth', config, sharedAnswering(42));
    const state = fleet.state('s');
    expect(await fleet.mark('s', state)).toBe(42);
    const down = new SessionStore('eth', config, sharedAnswering(undefined));
    const alone = down.state('s');
    down.raise('s', alone, 5);
    expect(await down.mark('s', alone)).toBe(UNKNOWN_MARK);
    // Never stored: the local mark stays what was served.
    expect(alone.mark).toBe(5);
  });
});

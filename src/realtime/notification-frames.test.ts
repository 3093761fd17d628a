import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import * as wsModule from 'ws';
import { NotificationFrames } from './notification-frames.js';

/** `ws`'s frame parser (exported at run time, not in its types). */
const { Receiver } = wsModule as unknown as { Receiver: new (options: { isServer: boolean }) => Writable };

/** Parses the written bytes with `ws`'s own client-side receiver: the frames a client sees. */
function received(chunks: Buffer[]): string[] {
  const messages: string[] = [];
  const receiver = new Receiver({ isServer: false });
  receiver.on('message', (data: Buffer, isBinary: boolean) => {
    expect(isBinary).toBe(false);
    messages.push(data.toString());
  });
  for (const chunk of chunks) receiver.write(chunk);
  return messages;
}

describe('NotificationFrames', () => {
  it('writes every waiting notification in one buffer at the end of the tick, each its own text frame', async () => {
    const chunks: Buffer[] = [];
    const frames = new NotificationFrames({ writable: true, write: (chunk) => chunks.push(chunk) > 0 });
    // Payload lengths on each side of the 7-bit, 16-bit and 64-bit length forms.
    const sizes = [0, 125, 126, 65_535, 65_536, 70_000];
    const bodies = sizes.map((size, i) => Buffer.from(`${String(i)}${'x'.repeat(Math.max(0, size - 2))}`));
    const prefix = Buffer.from('p');
    for (const body of bodies) frames.add(prefix, body);
    expect(chunks).toHaveLength(0);
    expect(frames.pending).toBeGreaterThan(sizes.reduce((a, b) => a + b, 0));
    await new Promise((resolve) => process.nextTick(resolve));
    expect(chunks).toHaveLength(1);
    expect(frames.pending).toBe(0);
    expect(received(chunks)).toEqual(bodies.map((body) => `p${body.toString()}`));
  });

  it('flush writes at once, in order with what follows; a socket that is gone gets nothing', () => {
    const chunks: Buffer[] = [];
    const sink = { writable: true, write: (chunk: Buffer) => chunks.push(chunk) > 0 };
    const frames = new NotificationFrames(sink);
    frames.add(Buffer.from('a'), Buffer.from('1'));
    frames.flush();
    frames.add(Buffer.from('b'), Buffer.from('2'));
    frames.flush();
    expect(received(chunks)).toEqual(['a1', 'b2']);
    sink.writable = false;
    frames.add(Buffer.from('c'), Buffer.from('3'));
    frames.flush();
    expect(chunks).toHaveLength(2);
    expect(frames.pending).toBe(0);
  });
});

/**
 * A socket's notifications of one fan-out, framed here (RFC 6455 §5.2: unmasked text frames)
 * and written as one buffer per socket per tick. A block's notifications are the same bytes for
 * every subscriber except the subscription id, so each is two shared pieces: the subscription's
 * prefix (made once per subscription) and the notification's body (made once per fan-out) —
 * no string per subscriber, no `ws.send` per notification (a header buffer, a UTF-8 copy and
 * two stream writes each), no timer per socket: one `process.nextTick` writes every socket
 * that has frames. Used only when the socket negotiated no extension (permessage-deflate
 * compresses in `ws`, which then queues its own frames).
 */

/** Where the frames go: the socket under the WebSocket. */
export interface FrameSink {
  write(chunk: Buffer): boolean;
  /** False once the socket is ended or destroyed. */
  readonly writable: boolean;
}

/** Bytes of the RFC 6455 header of an unmasked frame carrying `length` payload bytes. */
function headerBytes(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10;
}

function writeHeader(target: Buffer, at: number, length: number): number {
  target[at] = 0x81; // FIN, text
  if (length < 126) {
    target[at + 1] = length;
    return at + 2;
  }
  if (length < 65_536) {
    target[at + 1] = 126;
    target.writeUInt16BE(length, at + 2);
    return at + 4;
  }
  target[at + 1] = 127;
  target.writeUInt32BE(Math.floor(length / 2 ** 32), at + 2);
  target.writeUInt32BE(length >>> 0, at + 6);
  return at + 10;
}

/** Frames waiting for the end of the tick, of every socket (one flush for all). */
const due: NotificationFrames[] = [];
let scheduled = false;

function flushDue(): void {
  scheduled = false;
  // A write can run client code (a 'drain' listener) that adds frames: they join this pass.
  for (let i = 0; i < due.length; i++) due[i]!.flush();
  due.length = 0;
}

export class NotificationFrames {
  /** Prefix and body of each waiting notification, alternating. */
  private readonly parts: Buffer[] = [];
  private frameBytes = 0;
  private queued = false;

  constructor(private readonly sink: FrameSink) {}

  /** Bytes waiting (frames included): not yet handed to the socket. */
  get pending(): number {
    return this.frameBytes;
  }

  /** One notification whose payload is `prefix` + `body`; written at the end of the tick. */
  add(prefix: Buffer, body: Buffer): void {
    const length = prefix.length + body.length;
    this.parts.push(prefix, body);
    this.frameBytes += headerBytes(length) + length;
    if (this.queued) return;
    this.queued = true;
    due.push(this);
    if (!scheduled) {
      scheduled = true;
      process.nextTick(flushDue);
    }
  }

  /** Writes what waits now, in one buffer (before any other frame of the socket goes out). */
  flush(): void {
    this.queued = false;
    const { parts } = this;
    if (parts.length === 0) return;
    if (!this.sink.writable) {
      this.discard();
      return;
    }
    const out = Buffer.allocUnsafe(this.frameBytes);
    let at = 0;
    for (let i = 0; i < parts.length; i += 2) {
      const prefix = parts[i]!;
      const body = parts[i + 1]!;
      at = writeHeader(out, at, prefix.length + body.length);
      at += prefix.copy(out, at);
      at += body.copy(out, at);
    }
    parts.length = 0;
    this.frameBytes = 0;
    this.sink.write(out);
  }

  /** Drops what waits (the socket is gone). */
  discard(): void {
    this.parts.length = 0;
    this.frameBytes = 0;
  }
}

/**
 * A raw `ws` client that keeps every message it receives (parsed) and its close, for the
 * WebSocket end-to-end tests: subscribe, read the notifications of one subscription, resume.
 */
import WebSocket from 'ws';
import { waitFor } from './realtime-feed-harness.js';
import { openSocket } from './ws-client.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read messages by path.
type Message = any;

export interface BlockPointHex {
  readonly number: string;
  readonly hash: string;
}

export class Recorder {
  readonly messages: Message[] = [];
  /** Set when the socket closed (code, reason). */
  closedWith: { code: number; reason: string } | undefined;
  private nextId = 1;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData) => this.messages.push(JSON.parse(data.toString())));
    ws.on('close', (code, reason) => {
      this.closedWith = { code, reason: reason.toString() };
    });
  }

  static async open(url: string): Promise<Recorder> {
    return new Recorder(await openSocket(url));
  }

  /** Sends one request and resolves with its answer. */
  async send(method: string, params: unknown[]): Promise<Message> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    let found: Message;
    await waitFor(`the answer to ${method} (${id})`, () => {
      found = this.messages.find((message) => message.id === id);
      return found !== undefined || this.closedWith !== undefined;
    });
    if (found === undefined) throw new Error(`socket closed with ${JSON.stringify(this.closedWith)}`);
    return found;
  }

  /** Subscribes and returns the subscription id (throws on an error answer). */
  async subscribe(kind: 'newHeads' | 'logs', filter?: unknown, resumeFrom?: BlockPointHex): Promise<string> {
    const params: unknown[] = [kind];
    if (filter !== undefined || resumeFrom !== undefined) params.push(filter ?? null);
    if (resumeFrom !== undefined) params.push({ resumeFrom });
    const answer = await this.send('eth_subscribe', params);
    if (typeof answer.result !== 'string') throw new Error(`eth_subscribe: ${JSON.stringify(answer)}`);
    return answer.result;
  }

  /** Every notification of `subscription` (results and errors). */
  notes(subscription: string): Message[] {
    return this.messages.filter(
      (message) => message.method === 'eth_subscription' && message.params.subscription === subscription,
    );
  }

  /** The results delivered to `subscription`, in order. */
  results(subscription: string): Message[] {
    return this.notes(subscription).map((note) => note.params.result);
  }

  /** Notifications that carry an `error` in place of a result (the feed ended a subscription). */
  get errors(): Message[] {
    return this.messages.filter((message) => message.method === 'eth_subscription' && message.params.error);
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  async close(): Promise<void> {
    if (this.closedWith !== undefined) return;
    const done = new Promise((resolve) => this.ws.once('close', resolve));
    this.ws.close();
    await done;
  }
}

/**
 * What every ResponseStream shares: it closes once (either side may end it), and tells its
 * `onClose` listeners then — at once, in a microtask, to one that comes after the close.
 */
export abstract class ClosingStream {
  private listeners: (() => void)[] = [];
  closed = false;

  onClose(listener: () => void): void {
    if (this.closed) queueMicrotask(listener);
    else this.listeners.push(listener);
  }

  protected closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}

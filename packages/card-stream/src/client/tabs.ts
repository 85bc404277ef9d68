// One socket per browser (CONTRACT §8a): the tabs of one origin that show the same user of
// the same platform form a group. Web Locks elect the tab that holds the socket (the lock's
// holder); a BroadcastChannel carries what its socket hears, and its connection state, to
// the others. When the holder's tab closes, the browser hands the lock to a waiting tab,
// which opens the socket and resumes from the last change it applied. Where either API is
// missing each tab keeps its own socket (`supported()` is false).
import type { ServerMessage } from '../../../protocol/src/sdk.js';
import type { ConnectionState } from './client.js';

export type TabMessage =
  /** What the holder's socket heard, in order. */
  | { kind: 'msg'; msg: ServerMessage }
  /** The holder's connection state. */
  | { kind: 'state'; state: ConnectionState }
  /** A tab that just joined asks for the state. */
  | { kind: 'hello' };

export interface TabEvents {
  /** This tab now holds the socket. */
  lead(): void;
  message(data: TabMessage): void;
}

export class TabGroup {
  leading = false;
  readonly #channel: BroadcastChannel;
  #closed = false;
  #release?: () => void;

  static supported(): boolean {
    return typeof navigator !== 'undefined' && !!navigator.locks && typeof BroadcastChannel !== 'undefined';
  }

  constructor(name: string, events: TabEvents) {
    this.#channel = new BroadcastChannel(name);
    this.#channel.onmessage = (e: MessageEvent<TabMessage>) => events.message(e.data);
    // Held until close(): the lock's callback returns a promise that only release() ends. A
    // tab closed while waiting lets the lock go at once when it comes.
    void navigator.locks.request(name, () => {
      if (this.#closed) return;
      this.leading = true;
      events.lead();
      return new Promise<void>((release) => (this.#release = release));
    });
  }

  post(data: TabMessage): void {
    this.#channel.postMessage(data);
  }

  close(): void {
    this.#closed = true;
    this.#release?.();
    this.#channel.close();
    this.leading = false;
  }
}

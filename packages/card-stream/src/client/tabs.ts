// One socket per browser (CONTRACT §8a): the tabs of one origin that show the same user of
// the same platform form a group. Web Locks elect the tab that holds the socket (the lock's
// holder); a BroadcastChannel carries what its socket hears, and its connection state, to
// the others, for which this is their transport. When the holder's tab closes, the browser
// hands the lock to a waiting tab, which opens the socket and resumes from the last change
// it applied. Where either API is missing each tab keeps its own socket (`supported()`).
import type { ServerMessage } from '../../../protocol/src/sdk.js';
import type { ConnectionState } from './connection.js';
import type { Transport } from './transport.js';

type TabMessage =
  /** What the holder's socket heard, in order. */
  | { kind: 'msg'; msg: ServerMessage }
  /** The holder's connection state. */
  | { kind: 'state'; state: ConnectionState }
  /** A tab that just joined asks for the state. */
  | { kind: 'hello' };

export interface TabEvents {
  /** This tab now holds the socket: open it, and relay what it hears. */
  lead(): void;
  /** What the holder's socket heard. */
  message(msg: ServerMessage): void;
  /** The holder's connection state. */
  state(state: ConnectionState): void;
  /** This tab's own state, for a tab that joins while this one holds the socket. */
  current(): ConnectionState;
}

export class TabTransport implements Transport {
  leading = false;
  /** The holder's state, while this tab follows. */
  #holder?: ConnectionState;
  #channel?: BroadcastChannel;
  #release?: () => void;
  readonly #name: string;
  readonly #events: TabEvents;

  static supported(): boolean {
    return typeof navigator !== 'undefined' && !!navigator.locks && typeof BroadcastChannel !== 'undefined';
  }

  /** Hears the channel at once (client.ts reads its feeds meanwhile); `start()` joins the election. */
  constructor(name: string, events: TabEvents) {
    this.#name = name;
    this.#events = events;
    (this.#channel = new BroadcastChannel(name)).onmessage = (e: MessageEvent<TabMessage>) => this.#heard(e.data);
  }

  get live(): boolean {
    return this.#holder === 'live';
  }

  start(): void {
    const channel = this.#channel;
    // Held until stop(): the lock's callback returns a promise that only release() ends. A
    // tab stopped while waiting lets the lock go at once when it comes.
    void navigator.locks.request(this.#name, () => {
      if (!channel || this.#channel !== channel) return;
      this.leading = true;
      this.#holder = undefined;
      this.#events.lead();
      return new Promise<void>((release) => (this.#release = release));
    });
    this.#post({ kind: 'hello' });
  }

  stop(): void {
    this.#release?.();
    this.#channel?.close();
    this.#channel = undefined;
    this.leading = false;
    this.#holder = undefined;
  }

  /** As the holder: what its socket heard, for the other tabs. */
  relay(msg: ServerMessage): void {
    if (this.leading) this.#post({ kind: 'msg', msg });
  }

  /** As the holder: its new state, for the other tabs. */
  relayState(state: ConnectionState): void {
    if (this.leading) this.#post({ kind: 'state', state });
  }

  #post(data: TabMessage): void {
    this.#channel?.postMessage(data);
  }

  #heard(m: TabMessage): void {
    if (this.leading) {
      if (m.kind === 'hello') this.relayState(this.#events.current());
    } else if (m.kind === 'msg') {
      this.#events.message(m.msg);
    } else if (m.kind === 'state') {
      this.#holder = m.state;
      this.#events.state(m.state);
    }
  }
}

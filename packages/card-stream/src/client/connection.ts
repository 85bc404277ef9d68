// The connection's state (CONTRACT §8 `cs-state`), set here and nowhere else. It follows
// from two inputs: the link the transports report (connecting, live, polling; in a
// follower tab, the holding tab's state) and the trouble requests meet (offline,
// unauthorized), which outranks the link until a request gets through or a socket
// authenticates.
import { warnUnauthorized } from '../config.js';
import { NetworkError } from './api.js';
import { SessionError } from './session.js';

export type ConnectionState = 'connecting' | 'live' | 'polling' | 'offline' | 'unauthorized';

export class Connection {
  state: ConnectionState = 'connecting';
  /** Why the state is `unauthorized`. */
  reason: string | undefined;
  #link: ConnectionState = 'connecting';
  #trouble: 'offline' | 'unauthorized' | undefined;
  #why: string | undefined;
  #warned = false;
  readonly #changed: (state: ConnectionState, reason?: string) => void;

  constructor(changed: (state: ConnectionState, reason?: string) => void) {
    this.#changed = changed;
  }

  /** What the transports now give; a socket that authenticated is past any trouble. */
  link(link: ConnectionState): void {
    this.#link = link;
    if (link === 'live') this.#trouble = undefined;
    this.#update();
  }

  /** A request got an answer: the platform is reachable and the session good. */
  reachable(): void {
    this.#trouble = undefined;
    this.#update();
  }

  /** The browser says it went offline. */
  offline(): void {
    this.#trouble = 'offline';
    this.#update();
  }

  /** A request failed. Returns whether to report it (not a session's failure, not while offline). */
  failed(err: unknown): boolean {
    if (err instanceof SessionError) {
      this.#trouble = 'unauthorized';
      this.#why = err.message;
      this.#update();
      return false;
    }
    if (this.state === 'offline') return false;
    // Live, the socket still brings changes: one failed request is not "offline".
    if (err instanceof NetworkError && this.#link !== 'live') this.offline();
    return true;
  }

  #update(): void {
    const state = this.#trouble ?? this.#link;
    if (state === this.state) return;
    this.state = state;
    this.reason = state === 'unauthorized' ? this.#why : undefined;
    // Said once on the console too: an element that never loads should say why.
    if (this.reason && !this.#warned) {
      this.#warned = true;
      warnUnauthorized(this.reason);
    }
    this.#changed(state, this.reason);
  }
}

// The WebSocket transport (docs/protocol.md "The socket") over reconnecting-websocket:
// auth in the first message with `since`, full-jitter backoff, a client heartbeat, and a
// full stop on the auth close codes until the session yields a different token.
import RwsImport from 'reconnecting-websocket';
import type { AuthCloseCode, ClientMessage, ServerMessage } from '../../../protocol/src/sdk.js';
import type { Session } from './session.js';
import type { Transport } from './transport.js';

// Its typings describe the CommonJS build (a namespace whose `default` is the class);
// bundlers load the ES build, whose default export is the class itself.
const ReconnectingWebSocket = ((RwsImport as unknown as { default?: unknown }).default ?? RwsImport) as typeof RwsImport.default;
type Rws = InstanceType<typeof ReconnectingWebSocket>;

/** Retrying these is pointless: the token is bad (until a new one), or the channel is gone (4404). */
const STOP_CODES: readonly number[] = [4401, 4403, 4419, 4404] satisfies (AuthCloseCode | 4404)[];
/** A socket up this long (ms) counts as healthy: the backoff starts over. */
const MIN_UPTIME = 5000;

export interface SocketTimings {
  /** First retry waits up to this long (full jitter), doubling to `maxDelay`. */
  baseDelay: number;
  maxDelay: number;
  /** Silence after which the client pings, and how long it waits for the pong. */
  pingAfter: number;
  pongWithin: number;
}

export const DEFAULT_TIMINGS: SocketTimings = { baseDelay: 1000, maxDelay: 30_000, pingAfter: 25_000, pongWithin: 10_000 };

export interface SocketEvents {
  /** The first message: `auth` with the token (and `since`), or `channel`. */
  hello(token: string): ClientMessage;
  message(msg: ServerMessage): void;
  /** Closed or never opened; `ready` tells whether it had authenticated. */
  down(code: number, wasReady: boolean): void;
  /** Closed with a stop code: no retry until a new token (or ever, for a deleted channel). */
  authStopped(code: AuthCloseCode | 4404): void;
}

export class SocketTransport implements Transport {
  #rws?: Rws;
  #generation = 0;
  #attempt = 0;
  /** False until the first connection of this start(): it goes at once, retries wait. */
  #retrying = false;
  #readyAt = 0;
  #token = '';
  #ready = false;
  #halted = false;
  #lastHeard = 0;
  #pingSentAt = 0;
  #heartbeat?: ReturnType<typeof setInterval>;
  #wakeUp?: () => void;

  readonly #url: string;
  /** Absent on a channel socket: it needs no token. */
  readonly #session: Session | undefined;
  readonly #events: SocketEvents;
  readonly #timings: SocketTimings;
  readonly #WebSocketImpl: typeof WebSocket;

  constructor(url: string, session: Session | undefined, events: SocketEvents, timings = DEFAULT_TIMINGS, WebSocketImpl = WebSocket) {
    this.#url = url;
    this.#session = session;
    this.#events = events;
    this.#timings = timings;
    this.#WebSocketImpl = WebSocketImpl;
    session?.onToken((token) => {
      if (this.#halted) this.start();
      else if (this.#ready) this.send({ type: 'token', token });
    });
  }

  get live(): boolean {
    return this.#ready;
  }

  start(): void {
    this.close();
    this.#halted = false;
    this.#retrying = false;
    const generation = ++this.#generation;
    // The library's own delay is off (0): nextUrl() waits instead, with full jitter.
    const rws = new ReconnectingWebSocket(() => this.#nextUrl(generation), [], {
      WebSocket: this.#WebSocketImpl,
      minReconnectionDelay: 0,
      maxReconnectionDelay: 0,
      connectionTimeout: 5000,
    });
    this.#rws = rws;
    rws.addEventListener('open', () => {
      this.#lastHeard = Date.now();
      this.#pingSentAt = 0;
      this.send(this.#events.hello(this.#token));
    });
    rws.addEventListener('message', (event) => {
      if (generation !== this.#generation) return;
      this.#lastHeard = Date.now();
      let msg: ServerMessage;
      try {
        msg = JSON.parse(String(event.data)) as ServerMessage;
      } catch {
        return;
      }
      if (msg.type === 'ping') this.send({ type: 'pong', t: msg.t });
      else if (msg.type === 'pong') this.#pingSentAt = 0;
      else if (msg.type === 'ready') {
        this.#ready = true;
        this.#readyAt = Date.now();
      }
      this.#events.message(msg);
    });
    rws.addEventListener('close', (event) => {
      if (generation !== this.#generation) return;
      const wasReady = this.#ready;
      this.#ready = false;
      // Back to short waits only after a socket that stayed up: one that the server keeps
      // closing right after `ready` must not be retried in a tight loop.
      if (wasReady && Date.now() - this.#readyAt > MIN_UPTIME) this.#attempt = 0;
      if (STOP_CODES.includes(event.code)) {
        this.#halt();
        this.#events.authStopped(event.code as AuthCloseCode | 4404);
        // A fresh token from the delegate restarts the socket (onToken above); the same one does not.
        void this.#session?.refresh().catch(() => undefined);
      } else {
        this.#events.down(event.code, wasReady);
      }
    });
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => this.#checkHeartbeat(), Math.min(this.#timings.pongWithin, 5000) / 2);
  }

  /** Retry now (online again, page visible): skip the backoff, or check an open socket is alive. */
  wake(): void {
    this.#attempt = 0;
    if (this.#halted) return void this.#session?.refresh().catch(() => undefined);
    if (this.#ready) this.#ping();
    this.#wakeUp?.();
  }

  send(msg: ClientMessage): void {
    if (this.#rws?.readyState === 1) this.#rws.send(JSON.stringify(msg));
  }

  close(): void {
    this.#generation++;
    this.#ready = false;
    clearInterval(this.#heartbeat);
    this.#wakeUp?.();
    this.#rws?.close();
    this.#rws = undefined;
  }

  /** Closes it for good: a new token no longer restarts it. */
  stop(): void {
    this.close();
    this.#session?.onToken(undefined);
  }

  #halt(): void {
    this.#halted = true;
    this.close();
  }

  #ping(): void {
    this.#pingSentAt = Date.now();
    this.send({ type: 'ping', t: this.#pingSentAt });
  }

  #checkHeartbeat(): void {
    if (this.#rws?.readyState !== 1) return;
    const now = Date.now();
    if (this.#pingSentAt && now - this.#pingSentAt > this.#timings.pongWithin) {
      // Died silently (sleep, NAT timeout): drop it and connect again.
      this.#pingSentAt = 0;
      this.#rws.reconnect();
    } else if (!this.#pingSentAt && now - this.#lastHeard >= this.#timings.pingAfter) {
      this.#ping();
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeUp = done;
    });
  }

  async #nextUrl(generation: number): Promise<string> {
    const { baseDelay, maxDelay } = this.#timings;
    const backoff = () => Math.random() * Math.min(maxDelay, baseDelay * 2 ** this.#attempt++);
    // Full jitter on every retry, the first too, so a server restart is not a stampede.
    if (this.#retrying) await this.#sleep(backoff());
    this.#retrying = true;
    // Never reject: reconnecting-websocket would stay locked. Wait for a token instead.
    while (this.#session && generation === this.#generation) {
      try {
        this.#token = await this.#session.token();
        break;
      } catch {
        await this.#sleep(backoff());
      }
    }
    return this.#url;
  }
}

// Connects an element to the page's shared client for its stream: waits for
// `configure()` when the element has no platform or session of its own (and says so after
// SESSION_WAIT_MS), re-subscribes when the options that pick the client or the stream
// change, hands a new session delegate to the same client, and lets go on disconnect.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { AnalyticsEvent } from './client/analytics.js';
import { viewKey, type CardStreamClient, type ConnectionState, type StreamSubscriber, type TransportMode } from './client/client.js';
import type { StreamFilterCondition } from '../../protocol/src/sdk.js';
import { clientFor, clientKey } from './client/registry.js';
import type { RuntimeVariablesResolver } from './client/vars.js';
import { getConfig, onConfigure, sessionFromUrl, warnUnauthorized, type SessionDelegate } from './config.js';

export interface ClientHost extends ReactiveControllerHost {
  stream: string;
  filter?: StreamFilterCondition[] | undefined;
  channel?: string | undefined;
  apiBase: string | undefined;
  sessionDelegate: SessionDelegate | undefined;
  sessionUrl?: string | undefined;
  transport?: TransportMode;
  pollInterval?: number;
  runtimeVariables?: RuntimeVariablesResolver | undefined;
  clientEvent?(event: AnalyticsEvent): void;
  clientState?(state: ConnectionState, reason?: string): void;
}

/** How long an element waits for a platform and a session before it says it is unauthorized. */
export const SESSION_WAIT_MS = 5000;

/** Channels are public: their client never asks for a token. */
const ANONYMOUS: SessionDelegate = async () => '';

export class ClientController implements ReactiveController, StreamSubscriber {
  client?: CardStreamClient;
  #stream = '';
  #unsubscribe?: () => void;
  #offConfigure?: () => void;
  #waiting?: ReturnType<typeof setTimeout>;
  /** The client's key (without the user) this element is subscribed under. */
  #key?: string;
  /** Counts requests for a client: an answer to an older one is dropped. */
  #asked = 0;

  readonly #host: ClientHost;

  constructor(host: ClientHost) {
    this.#host = host;
    host.addController(this);
  }

  get resolver(): RuntimeVariablesResolver | undefined {
    return this.#host.runtimeVariables ?? getConfig().runtimeVariables;
  }

  hostConnected(): void {
    this.#offConfigure = onConfigure(() => this.sync());
    this.sync();
  }

  hostDisconnected(): void {
    clearTimeout(this.#waiting);
    this.#waiting = undefined;
    this.#offConfigure?.();
    this.#asked++;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.client = undefined;
    this.#key = undefined;
  }

  /** Subscribes to the right client and stream; call after the host's options change. */
  sync(): void {
    const config = getConfig();
    const host = this.#host;
    const apiBase = host.apiBase ?? config.apiBase;
    const channel = host.channel || undefined;
    // The element's own session (a delegate, else a session-url) before the page's.
    const own = host.sessionDelegate ?? (host.sessionUrl ? sessionFromUrl(host.sessionUrl) : undefined);
    const page = config.sessionDelegate ?? (config.sessionUrl ? sessionFromUrl(config.sessionUrl) : undefined);
    const sessionDelegate = channel ? ANONYMOUS : (own ?? page);
    if (!apiBase || !sessionDelegate) {
      // Waits for configure(), but not silently: after a while the element says what it lacks.
      this.#waiting ??= setTimeout(() => {
        const reason = `no ${apiBase ? '' : 'apiBase, '}sessionDelegate or session-url in 5 s`;
        warnUnauthorized(reason);
        host.clientState?.('unauthorized', reason);
      }, SESSION_WAIT_MS);
      return;
    }
    clearTimeout(this.#waiting);
    this.#waiting = undefined;
    const options = {
      apiBase: apiBase.replace(/\/+$/, ''),
      sessionDelegate,
      transport: host.transport ?? 'auto',
      pollInterval: Math.max(1000, host.pollInterval || 15_000),
      channel,
    };
    // A channel is the one "stream" of its client.
    const stream = channel ?? viewKey(host.stream, host.filter);
    const key = clientKey(options);
    if (this.client && key === this.#key) {
      this.client.useDelegate(sessionDelegate);
      // The same client (it holds the delegate now): this shortens its poll interval if asked.
      void clientFor(options);
      if (stream !== this.#stream) this.#subscribe(this.client, key, stream);
      return;
    }
    const asked = ++this.#asked;
    void clientFor(options).then((client) => {
      if (asked === this.#asked) this.#subscribe(client, key, stream);
    });
  }

  #subscribe(client: CardStreamClient, key: string, stream: string): void {
    const host = this.#host;
    // Subscribe before letting go, so a client shared with the old options is not stopped.
    const previous = this.#unsubscribe;
    this.client = client;
    this.#key = key;
    this.#stream = stream;
    this.#unsubscribe = client.subscribe(stream, this);
    previous?.();
    host.clientState?.(client.state, client.reason);
    host.requestUpdate();
  }

  changed(): void {
    this.#host.requestUpdate();
  }

  state(state: ConnectionState, reason?: string): void {
    this.#host.clientState?.(state, reason);
  }

  event(event: AnalyticsEvent): void {
    this.#host.clientEvent?.(event);
  }
}

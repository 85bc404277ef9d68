// Connects an element to the page's shared client for its stream: waits for
// `configure()` when the element has no platform or session of its own, re-subscribes when
// the options that pick the client or the stream change, and lets go on disconnect.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { AnalyticsEvent } from './client/analytics.js';
import type { CardStreamClient, ConnectionState, StreamSubscriber, Transport } from './client/client.js';
import { clientFor } from './client/registry.js';
import type { RuntimeVariablesResolver } from './client/vars.js';
import { getConfig, onConfigure, type SessionDelegate } from './config.js';

export interface ClientHost extends ReactiveControllerHost {
  stream: string;
  channel?: string | undefined;
  apiBase: string | undefined;
  sessionDelegate: SessionDelegate | undefined;
  transport?: Transport;
  pollInterval?: number;
  runtimeVariables?: RuntimeVariablesResolver | undefined;
  clientEvent?(event: AnalyticsEvent): void;
  clientState?(state: ConnectionState): void;
}

/** Channels are public: their client never asks for a token. */
const ANONYMOUS: SessionDelegate = async () => '';

export class ClientController implements ReactiveController, StreamSubscriber {
  client?: CardStreamClient;
  #stream = '';
  #unsubscribe?: () => void;
  #offConfigure?: () => void;

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
    this.#offConfigure?.();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.client = undefined;
  }

  /** Subscribes to the right client and stream; call after the host's options change. */
  sync(): void {
    const config = getConfig();
    const host = this.#host;
    const apiBase = host.apiBase ?? config.apiBase;
    const channel = host.channel || undefined;
    const sessionDelegate = channel ? ANONYMOUS : (host.sessionDelegate ?? config.sessionDelegate);
    if (!apiBase || !sessionDelegate) return; // waits for configure()
    const client = clientFor({
      apiBase: apiBase.replace(/\/+$/, ''),
      sessionDelegate,
      transport: host.transport ?? 'auto',
      pollInterval: Math.max(1000, host.pollInterval || 15_000),
      channel,
    });
    // A channel is the one "stream" of its client.
    const stream = channel ?? host.stream;
    if (client === this.client && stream === this.#stream) return;
    // Subscribe before letting go, so a client shared with the old options is not stopped.
    const previous = this.#unsubscribe;
    this.client = client;
    this.#stream = stream;
    this.#unsubscribe = client.subscribe(stream, this);
    previous?.();
    host.clientState?.(client.state);
    host.requestUpdate();
  }

  changed(): void {
    this.#host.requestUpdate();
  }

  state(state: ConnectionState): void {
    this.#host.clientState?.(state);
  }

  event(event: AnalyticsEvent): void {
    this.#host.clientEvent?.(event);
  }
}

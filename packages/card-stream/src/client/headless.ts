// The headless client (CONTRACT §8b, `card-stream/client`): the client the elements use,
// for teams that draw their own UI. No Lit, no elements, no DOM of its own. It shares the
// page's client (and so its socket, cache and outbox) with any element of the same
// platform and user.
import type { SdkCard, SdkEventName, StreamFilterCondition, VoteReason } from '../../../protocol/src/sdk.js';
import { sessionFromUrl, type SessionDelegate } from '../config.js';
import type { AnalyticsEvent } from './analytics.js';
import { uuid } from './analytics.js';
import { viewKey, type CardStreamClient, type ConnectionState, type StreamSubscriber, type TransportMode } from './client.js';
import { clientFor } from './registry.js';
import type { RuntimeVariablesResolver } from './vars.js';

export interface HeadlessClientOptions {
  apiBase: string;
  /** Returns a fresh end-user token; or give `sessionUrl`. */
  sessionDelegate?: SessionDelegate;
  /** The host backend's token URL (`{ token }` or text, fetched with the page's cookies). */
  sessionUrl?: string;
  streamId?: string;
  filter?: StreamFilterCondition[];
  pageSize?: number;
  transport?: TransportMode;
  pollInterval?: number;
  runtimeVariables?: RuntimeVariablesResolver;
}

/** What a listener is told: the state and the cards at this moment. */
export interface HeadlessSnapshot {
  state: ConnectionState | 'connecting';
  /** With `unauthorized`: why. */
  reason: string | undefined;
  cards: SdkCard[];
  total: number;
}

export interface HeadlessClient extends Readonly<HeadlessSnapshot> {
  /** Calls `listener` now and after every change; returns the function that stops it. */
  subscribe(listener: (snapshot: HeadlessSnapshot) => void): () => void;
  /** Loads the next page of the stream (500 cards after the last one held); `total` counts them all. */
  loadMore(): Promise<void>;
  dismiss(cardInstanceId: string): Promise<void>;
  snooze(cardInstanceId: string, when: { interval: string } | { until: string | Date }): Promise<void>;
  vote(cardInstanceId: string, direction: 'up' | 'down', reason?: VoteReason, message?: string): Promise<void>;
  /** Completes the card with a submit button's values (as the card's form would). */
  submit(cardInstanceId: string, buttonId: string, values: Record<string, string | number | boolean>): Promise<void>;
  /** Records an SDK analytics event (CONTRACT §7), e.g. `card-displayed` when your UI shows a card. */
  track(eventName: SdkEventName, properties?: Record<string, unknown> & { cardInstanceId?: string }): void;
  close(): void;
}

export function createClient(options: HeadlessClientOptions): HeadlessClient {
  const streamId = options.streamId ?? 'default';
  // The platform applies the filter: this view's pages and total are the filtered stream's.
  const key = viewKey(streamId, options.filter);
  const sessionDelegate = options.sessionDelegate ?? (options.sessionUrl ? sessionFromUrl(options.sessionUrl) : undefined);
  if (!options.apiBase || !sessionDelegate) throw new TypeError('createClient needs apiBase and a sessionDelegate or sessionUrl');
  const listeners = new Set<(snapshot: HeadlessSnapshot) => void>();
  let client: CardStreamClient | undefined;
  let unsubscribe: (() => void) | undefined;
  let closed = false;
  let state: ConnectionState | 'connecting' = 'connecting';
  let reason: string | undefined;

  const cards = () => client?.cards(key) ?? [];
  const total = () => client?.total(key) ?? 0;
  const snapshot = (): HeadlessSnapshot => ({ state, reason, cards: cards(), total: total() });
  const notify = () => {
    const now = snapshot();
    for (const listener of [...listeners]) listener(now);
  };
  const subscriber: StreamSubscriber = {
    resolver: options.runtimeVariables,
    changed: notify,
    state(next, why) {
      state = next;
      reason = why;
      notify();
    },
    event: () => undefined,
  };
  const ready = clientFor({
    apiBase: options.apiBase.replace(/\/+$/, ''),
    sessionDelegate,
    transport: options.transport ?? 'auto',
    pollInterval: Math.max(1000, options.pollInterval ?? 15_000),
  }).then((c) => {
    if (closed) return c;
    client = c;
    state = c.state;
    reason = c.reason;
    unsubscribe = c.subscribe(key, subscriber);
    notify();
    return c;
  });

  const find = async (id: string): Promise<[CardStreamClient, SdkCard]> => {
    const c = await ready;
    const card = c.cards(key).find((x) => x.cardInstanceId === id);
    if (!card) throw new Error(`card-stream: no card ${id}`);
    return [c, card];
  };
  const trackFor = (c: CardStreamClient, name: SdkEventName, card: SdkCard | undefined, properties: Record<string, unknown>, id?: string): AnalyticsEvent => {
    const event = c.event(name, { streamId, displayMode: 'stream', cards: cards(), card, properties, id });
    c.track(event);
    return event;
  };

  return {
    get state() {
      return state;
    },
    get reason() {
      return reason;
    },
    get cards() {
      return cards();
    },
    get total() {
      return total();
    },
    subscribe(listener) {
      listeners.add(listener);
      listener(snapshot());
      return () => listeners.delete(listener);
    },
    loadMore: () => ready.then((c) => c.loadMore(key)),
    async dismiss(id) {
      const [c, card] = await find(id);
      await c.act(card, { type: 'dismiss' });
    },
    async snooze(id, when) {
      const [c, card] = await find(id);
      await c.act(card, 'interval' in when ? { type: 'snooze', interval: when.interval } : { type: 'snooze', until: new Date(when.until).toISOString() });
    },
    async vote(id, direction, voteReason, message) {
      const [c, card] = await find(id);
      // The vote event shares the action's id, so the server keeps one of the two.
      const actionId = uuid();
      await c.act(card, { type: 'vote', direction, reason: voteReason, message }, actionId);
      trackFor(c, direction === 'up' ? 'card-voted-up' : 'card-voted-down', card, voteReason ? { reason: voteReason, ...(message ? { message } : {}) } : {}, actionId);
    },
    async submit(id, buttonId, values) {
      const [c, card] = await find(id);
      const button = card.definition.blocks.flatMap((b) => ('buttons' in b ? b.buttons : [])).find((b) => b.id === buttonId);
      // A submit button's payload goes with the values (undefined fields are left out of the JSON).
      await c.act(card, { type: 'complete', values, buttonId, payload: (button?.action as { payload?: Record<string, unknown> } | undefined)?.payload });
    },
    track(eventName, properties = {}) {
      const { cardInstanceId, ...rest } = properties;
      void ready.then((c) => trackFor(c, eventName, cardInstanceId ? c.cards(key).find((x) => x.cardInstanceId === cardInstanceId) : undefined, rest));
    },
    close() {
      closed = true;
      listeners.clear();
      unsubscribe?.();
      unsubscribe = undefined;
    },
  };
}

export type { SdkCard, ConnectionState, TransportMode, AnalyticsEvent, RuntimeVariablesResolver, SessionDelegate, StreamFilterCondition };

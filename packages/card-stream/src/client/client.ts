// One client per page (per platform, user and transport mode): one socket, however many
// elements. It keeps each subscribed view's cards, chooses the transport (the socket, or
// the tab that holds it; polling as the fallback), caches cards and queues actions and
// analytics for offline use. The transports are files of their own (transport.ts); the
// connection's state is set only by its state machine (connection.ts).
import { get, set } from 'idb-keyval';
import type { SdkCard, SdkEventName, SdkFeed, ServerMessage, StreamFilterCondition } from '../../../protocol/src/sdk.js';
import type { ChannelFeed } from '../../../protocol/src/channels.js';
import type { SessionDelegate } from '../config.js';
import { REMOVING, actionEntry, channelCard, type ActionRequest } from './actions.js';
import { buildEvent, uuid, type AnalyticsEvent, type EventScope } from './analytics.js';
import { Api, NetworkError, type ApiResponse } from './api.js';
import { Connection, type ConnectionState } from './connection.js';
import { Outbox, type OutboxEntry, type SendResult } from './outbox.js';
import { Session } from './session.js';
import { SocketSequence } from './sequence.js';
import { SocketTransport } from './socket.js';
import { PollingTransport } from './polling.js';
import { TabTransport } from './tabs.js';
import { CardStore, compareCards } from './store.js';
import { EventBatcher } from './uploads.js';
import { needsVars, resolveVars, type RuntimeVariablesResolver, type Vars } from './vars.js';

/** The `transport` option (CONTRACT §8): which transports the client may use. */
export type TransportMode = 'auto' | 'websocket' | 'polling';
export type { ConnectionState };
export type LoadStatus = 'loading' | 'ready' | 'error';
export type { ActionRequest };

export interface ClientOptions {
  apiBase: string;
  sessionDelegate: SessionDelegate;
  transport: TransportMode;
  pollInterval: number;
  /** A public channel instead of the user's streams: no token, no analytics uploads. */
  channel?: string | undefined;
}

export interface StreamSubscriber {
  /** Cards or load status of the stream changed. */
  changed(): void;
  /** `reason`: why, for `unauthorized`. */
  state(state: ConnectionState, reason?: string): void;
  /** An SDK event not tied to one element (request-failed, runtime-vars-updated, …). */
  event(event: AnalyticsEvent): void;
  readonly resolver?: RuntimeVariablesResolver | undefined;
}

/**
 * The client's key for a view of a stream: the stream id, with its filter (CONTRACT §8a) when
 * it has one. Elements with different filters share the client; each view has its own pages
 * and total, which the platform filters.
 */
export const viewKey = (streamId: string, filter?: readonly StreamFilterCondition[]): string =>
  filter?.length ? `${streamId}\n${JSON.stringify(filter)}` : streamId;

interface StreamState {
  /** The view's key (viewKey). */
  id: string;
  /** The stream it shows, and its filter as the feed's `filter` text. */
  stream: string;
  filter?: string | undefined;
  store: CardStore;
  etag?: string;
  /**
   * The sequence number the cards are current to (the feed's, then each socket change
   * applied): socket changes at or below it are already in, a feed below it is stale.
   * While a feed is awaited (`early`) it may be ahead of the cards: where the socket goes
   * on from after #reload, which no feed older than that may answer.
   */
  floor: number;
  status: LoadStatus;
  subs: Set<StreamSubscriber>;
  fetching?: Promise<void>;
  /** While a feed is awaited (the first, or #reload's): the socket changes that came meanwhile. */
  early?: SdkChange[] | undefined;
  /** The server's count of the stream's active cards, when it holds more than were loaded; and of the unseen ones. */
  total?: number | undefined;
  unseen?: number | undefined;
  /** Where the next page starts (the last loaded card); null or undefined: all are loaded. */
  next?: string | null | undefined;
  more?: Promise<void> | undefined;
  /** The feed read again once a burst of changes settles (#later). */
  refetch?: ReturnType<typeof setTimeout>;
}

/** The most cards a feed page brings (the platform's FEED_MAX_LIMIT) and the usual page. */
const FEED_MAX = 5000;
const FEED_PAGE = 500;

type SdkChange = Extract<ServerMessage, { type: 'change' }>;


export class CardStreamClient {
  userId = '';
  readonly #session: Session;
  readonly #api: Api;
  readonly #streams = new Map<string, StreamState>();
  /** Runtime variable values of cards that hold `!{…}`, once known (page-wide: asked once per card). */
  readonly #vars = new Map<string, Vars>();
  /** Cards asked about and not answered yet: not shown. */
  readonly #waiting = new Set<string>();
  /** Cards removed by an action the server has not confirmed yet. */
  readonly #hidden = new Set<string>();
  /**
   * Cards whose removal the server confirmed, with the number of the last feed read begun
   * by then: such a read may have been answered before the removal and must not bring
   * them back. Kept while one of those reads is still in flight.
   */
  readonly #confirmed = new Map<string, number>();
  /** Feed reads begun (numbered in order), and those not yet taken in. */
  #reads = 0;
  readonly #reading = new Set<number>();
  /** Cards displayed on this page (card-displayed tracked). */
  readonly #seen = new Set<string>();
  readonly #connection = new Connection((state, reason) => {
    this.#tabs?.relayState(state);
    for (const sub of this.#subs()) sub.state(state, reason);
  });
  #socket?: SocketTransport;
  /** The tabs sharing one socket; undefined where the browser cannot (each tab its own). */
  #tabs?: TabTransport;
  readonly #polling: PollingTransport;
  /** The socket's place in the change sequence: where it resumes. */
  readonly #sequence = new SocketSequence();
  #outbox?: Outbox;
  readonly #ready: Promise<void>;
  #running = false;
  #initialized = false;
  #fellBack = false;
  #retryTimer?: ReturnType<typeof setTimeout>;
  /** Aborted when the client stops: removes its window and document listeners. */
  #listening?: AbortController;
  readonly #uploads = new EventBatcher(async (events) => {
    await this.#ready;
    await this.#outbox!.add({ id: uuid(), path: '/v1/sdk/events', body: { events } });
    void this.#flush();
  });

  readonly #onIdle: () => void;

  constructor(
    readonly options: ClientOptions,
    onIdle: () => void = () => undefined,
    /** A token the delegate just gave, if any: not asked for again. */
    token?: string,
  ) {
    this.#onIdle = onIdle;
    this.#session = new Session(options.sessionDelegate, token);
    this.#api = new Api(options.apiBase, options.channel ? undefined : this.#session);
    this.#polling = new PollingTransport(options, async () => {
      await this.#fetchAll();
      void this.#flush();
    });
    this.#ready = this.#initialise();
  }

  get state(): ConnectionState {
    return this.#connection.state;
  }

  /** Why the state is `unauthorized`. */
  get reason(): string | undefined {
    return this.#connection.reason;
  }

  // ---- what elements use ----

  /** Whether `delegate` is the one this client asks for tokens. */
  holds(delegate: ClientOptions['sessionDelegate']): boolean {
    return this.#session.delegate === delegate;
  }

  /**
   * A new delegate (the host's function of this render) takes over the same session: nothing
   * reconnects or reloads. It is taken to be the same user's; an element removed and added
   * again (a React `key`) asks its delegate afresh, and so reaches another user's client.
   */
  useDelegate(delegate: ClientOptions['sessionDelegate']): void {
    this.#session.delegate = delegate;
  }

  /** `streamId`: a view's key (viewKey): the stream, and after a line break its filter's JSON. */
  subscribe(streamId: string, sub: StreamSubscriber): () => void {
    let stream = this.#streams.get(streamId);
    if (!stream) {
      const [id, filter] = streamId.split('\n') as [string, string?];
      stream = { id: streamId, stream: id, filter, store: new CardStore(), floor: -1, early: [], status: 'loading', subs: new Set() };
      this.#streams.set(streamId, stream);
      if (this.#running) void this.#loadStream(stream);
    }
    stream.subs.add(sub);
    if (!this.#running) this.#start();
    const s = stream;
    return () => {
      s.subs.delete(sub);
      if (s.subs.size) return;
      this.#streams.delete(streamId);
      if (!this.#streams.size) this.#stop();
    };
  }

  status(streamId: string): LoadStatus {
    return this.#streams.get(streamId)?.status ?? 'loading';
  }

  /** The cards to show, in display order (not hidden, not waiting for runtime variables). */
  cards(streamId: string): SdkCard[] {
    const s = this.#streams.get(streamId);
    return s ? s.store.list((c) => !this.#hidden.has(c.cardInstanceId) && !this.#waiting.has(c.cardInstanceId)) : [];
  }

  /**
   * Active cards of the stream, shown or still waiting for runtime variables: counted here
   * when every card is loaded, else the platform's count (kept current after each change).
   */
  total(streamId: string): number {
    const s = this.#streams.get(streamId);
    const held = s?.store.list((c) => !this.#hidden.has(c.cardInstanceId)).length ?? 0;
    return s?.next ? Math.max(held, s.total ?? 0) : held;
  }

  /** Loads the next page of the stream (the cards after the last one held). */
  loadMore(streamId: string): Promise<void> {
    const s = this.#streams.get(streamId);
    if (!s?.next) return Promise.resolve();
    s.more ??= (async () => {
      try {
        await this.#page(s, `?limit=${FEED_PAGE}&after=${encodeURIComponent(s.store.list().at(-1)?.cardInstanceId ?? s.next!)}`, (res, fresh) => {
          // Older than changes already applied: those would be undone; the next call asks again.
          if (res.status !== 200 || !res.body || res.body.seq < s.floor || this.#streams.get(s.id) !== s) return;
          s.total = res.body.total;
          s.unseen = res.body.unseen;
          s.next = res.body.nextCursor;
          this.#ingest(s, res.body.cards.filter((c) => fresh(c) && !this.#hidden.has(c.cardInstanceId)), false);
        });
      } catch (err) {
        this.#failed(err);
      }
    })().finally(() => (s.more = undefined));
    return s.more;
  }

  vars(card: SdkCard): Vars {
    return this.#vars.get(card.cardInstanceId) ?? card.runtimeVariables ?? {};
  }

  /** Applies an action on screen at once and sends it (now, or when back online) exactly once. */
  async act(card: SdkCard, request: ActionRequest, id = uuid()): Promise<void> {
    if (REMOVING.has(request.type)) {
      this.#hidden.add(card.cardInstanceId);
      for (const s of this.#views()) {
        if (!s.store.remove(card.cardInstanceId)) continue;
        // The platform's count still holds it until the change comes back and the feed is read again.
        if (s.total) s.total--;
        this.#changed(s);
      }
    }
    await this.#ready;
    await this.#outbox!.add(actionEntry(card, request, id, this.options.channel));
    void this.#flush();
  }

  /** Builds an SDK event for this user. */
  event(name: SdkEventName, scope?: EventScope): AnalyticsEvent {
    return buildEvent(name, this.userId, scope);
  }

  /** Queues an event for upload (batches of at most 100, kept offline). */
  track(event: AnalyticsEvent): void {
    // A channel viewer has no token, and the platform takes SDK events only with one.
    if (this.options.channel) return;
    this.#uploads.push(event);
    const id = event.cardContext.cardInstanceId as string | undefined;
    // Displayed here: no longer unseen, before the platform hears of it.
    if (event.analyticsEvent === 'card-displayed' && id && !this.#seen.has(id)) {
      this.#seen.add(id);
      for (const sub of this.#subs()) sub.changed();
    }
  }

  /** Active cards of the stream that no card-displayed has recorded for the user (CONTRACT §8a). */
  unseen(streamId: string): number {
    const s = this.#streams.get(streamId);
    const held = s?.store.list((c) => !c.seen && !this.#hidden.has(c.cardInstanceId)) ?? [];
    const here = held.filter((c) => this.#seen.has(c.cardInstanceId)).length;
    // With pages left unloaded the platform counts; the cards displayed here since come off.
    return (s?.next ? (s.unseen ?? 0) : held.length) - here;
  }

  /** Fetches again now (the error state's retry, a page coming back). */
  refresh(): void {
    this.#socket?.wake();
    void this.#fetchAll();
    void this.#flush();
  }

  // ---- lifecycle ----

  async #initialise(): Promise<void> {
    // The user (and so the cache and outbox) comes only from a token the host vouches for:
    // the SDK never guesses, so a shared device never shows the previous user's cards.
    if (!this.options.channel) this.userId = await this.#session.token().then(() => this.#session.userId ?? '', () => '');
    this.#outbox = new Outbox(`card-stream:outbox:${this.options.apiBase}|${this.userId}`, (e) => this.#send(e));
    for (const { hides } of await this.#outbox.entries()) if (hides) this.#hidden.add(hides);
  }

  #start(): void {
    this.#running = true;
    const signal = (this.#listening = new AbortController()).signal;
    addEventListener('online', () => this.refresh(), { signal });
    addEventListener('offline', () => this.#connection.offline(), { signal });
    document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && this.refresh(), { signal });
    void this.#ready.then(async () => {
      if (!this.#running) return;
      if (!this.#initialized) {
        this.#initialized = true;
        this.#broadcast(this.event('sdk-initialized'));
      }
      void this.#flush();
      // One socket per browser (tabs.ts): the group's channel is heard from before the feeds
      // are read, so what the socket's holder relays meanwhile waits in each view's `early`
      // for its feed, as a socket's change does; then this tab joins the election for the
      // socket. (A polling client hears it too, harmlessly: no tab of a polling group holds a
      // socket.) Made here rather than in a method of its own: the bundle is at its budget.
      const tabs =
        !this.options.channel &&
        this.userId &&
        TabTransport.supported() &&
        (this.#tabs = new TabTransport(`card-stream:${this.options.apiBase}|${this.userId}|${this.options.transport}`, {
          lead: () => this.#openSocket(),
          message: (msg) => this.#onMessage(msg),
          state: (state) => {
            // The holder polls without a socket: so must this tab, the holder relays nothing.
            if (state === 'polling') this.#polling.start();
            else this.#polling.stop();
            this.#connection.link(state);
          },
          current: () => this.state,
        }));
      await Promise.all(this.#views().map((s) => this.#loadStream(s)));
      if (!this.#running) return;
      if (this.options.transport === 'polling') this.#poll(false);
      else if (tabs) tabs.start();
      else this.#openSocket();
    });
  }

  #stop(): void {
    this.#running = false;
    this.#listening?.abort();
    this.#polling.stop();
    this.#tabs?.stop();
    this.#tabs = undefined;
    this.#socket?.stop();
    this.#socket = undefined;
    this.#sequence.reset(undefined);
    this.#session.stop();
    clearTimeout(this.#retryTimer);
    void this.#uploads.drain();
    this.#onIdle();
  }

  #views(): StreamState[] {
    return [...this.#streams.values()];
  }

  /** The subscribers of every view, or of one. */
  #subs(only?: StreamState): StreamSubscriber[] {
    return (only ? [only] : this.#views()).flatMap((s) => [...s.subs]);
  }

  // ---- feed, cache and polling ----

  #fetchAll(): Promise<void[]> {
    return Promise.all(this.#views().map((s) => this.#fetchFeed(s)));
  }

  #cacheKey(s: StreamState): string {
    return `card-stream:cards:${this.options.apiBase}|${this.userId}|${s.id}`;
  }

  async #loadStream(s: StreamState): Promise<void> {
    const cached = await get<SdkCard[]>(this.#cacheKey(s)).catch(() => undefined);
    // Shown at once; the feed replaces them when it answers (unless it already has).
    if (cached && s.status === 'loading') {
      s.status = 'ready';
      this.#ingest(s, cached, true);
    }
    await this.#fetchFeed(s);
  }

  /** Reads the view's feed, or shares the read in flight; a read #reload left behind does not end the newer one's turn. */
  #fetchFeed(s: StreamState): Promise<void> {
    const read: Promise<void> = (s.fetching ??= (async () => {
      try {
        const headers: Record<string, string> = s.etag ? { 'if-none-match': s.etag } : {};
        const channel = this.options.channel;
        // As many cards as are held (pages loaded since), so a poll keeps them.
        await this.#page(s, channel ? '' : `?limit=${Math.min(FEED_MAX, Math.max(FEED_PAGE, s.store.list().length))}`, (res, fresh) => {
          this.#reachable();
          if (res.status === 304) return;
          if (res.status !== 200 || !res.body) throw new Error(`The feed answered ${res.status}.`);
          // A channel feed has no sequence number: the socket's changes simply follow it.
          const { seq = 0, cards } = res.body;
          // Unsubscribed meanwhile, or older than changes the socket already applied or skipped.
          if (this.#streams.get(s.id) !== s || seq < s.floor) return;
          s.etag = res.etag ?? undefined;
          s.floor = seq;
          s.status = 'ready';
          s.total = res.body.total;
          s.unseen = res.body.unseen;
          s.next = res.body.nextCursor;
          this.#ingest(s, channel ? cards.map(channelCard) : cards.filter(fresh), true);
          for (const change of s.early ?? []) this.#apply(s, change);
          s.early = undefined;
        }, headers);
      } catch (err) {
        this.#failed(err);
        if (s.status === 'loading') {
          s.status = 'error';
          this.#changed(s);
        }
      }
    })().finally(() => s.fetching === read && (s.fetching = undefined)));
    return read;
  }

  /**
   * Reads a page of the stream's feed (the channel's, for a channel) and hands it to `take`
   * with `fresh`, false for a card whose removal was confirmed after this read began.
   */
  async #page(s: StreamState, query: string, take: (res: ApiResponse<SdkFeed & ChannelFeed>, fresh: (c: SdkCard) => boolean) => void, headers?: Record<string, string>): Promise<void> {
    const read = ++this.#reads;
    this.#reading.add(read);
    try {
      const filter = s.filter ? `${query ? '&' : '?'}filter=${encodeURIComponent(s.filter)}` : '';
      take(
        await this.#api.request<SdkFeed & ChannelFeed>('GET', `/v1/sdk/${this.options.channel ? 'channels' : 'streams'}/${encodeURIComponent(s.stream)}/cards${query}${filter}`, undefined, headers),
        (c) => !(this.#confirmed.get(c.cardInstanceId)! >= read),
      );
    } finally {
      this.#reading.delete(read);
      const oldest = Math.min(...this.#reading);
      for (const [id, last] of this.#confirmed) if (last < oldest) this.#confirmed.delete(id);
    }
  }

  /** Polls (`now` false: the feeds were just read, the first round waits a period). */
  #poll(now?: boolean): void {
    this.#polling.start(now);
    this.#connection.link('polling');
  }

  /** Cards arrived (feed, socket or cache): store them, and ask for runtime variables once. */
  #ingest(s: StreamState, cards: SdkCard[], replace: boolean): void {
    if (replace) s.store.reset(cards);
    else for (const card of cards) s.store.upsert(card);
    const ask = this.options.channel
      ? []
      : cards.filter((c) => !this.#vars.has(c.cardInstanceId) && !this.#waiting.has(c.cardInstanceId) && needsVars(c));
    if (ask.length) {
      for (const c of ask) this.#waiting.add(c.cardInstanceId);
      const resolver = [...s.subs].find((sub) => sub.resolver)?.resolver;
      void resolveVars(ask, resolver).then((values) => {
        for (const card of ask) {
          const vars = values.get(card.cardInstanceId) ?? {};
          this.#vars.set(card.cardInstanceId, vars);
          this.#waiting.delete(card.cardInstanceId);
          if (resolver) this.#broadcast(this.event('runtime-vars-updated', { streamId: s.stream, card, properties: { resolvedVariables: vars } }), s);
        }
        this.#changed(s);
      });
    }
    this.#changed(s);
  }

  #changed(s: StreamState): void {
    void set(this.#cacheKey(s), s.store.list()).catch(() => undefined);
    for (const sub of this.#subs(s)) sub.changed();
  }

  // ---- socket ----

  #openSocket(): void {
    const url = `${this.options.apiBase.replace(/^http/, 'ws')}/v1/sdk/socket`;
    this.#socket = new SocketTransport(
      url,
      this.options.channel ? undefined : this.#session,
      {
        hello: (token) => {
          if (this.options.channel) return { type: 'channel', channelId: this.options.channel };
          const since = this.#since();
          return { type: 'auth', token, ...(since === undefined ? {} : { since }) };
        },
        message: (msg) => this.#onMessage(msg),
        down: () => this.#socketDown(),
        authStopped: () => this.#socketDown(),
      },
    );
    this.#socket.start();
  }

  /** Where the socket resumes: its last change, else the oldest feed when every view has one (none waits, `early`). */
  #since(): number | undefined {
    const views = this.#views();
    return this.#sequence.last ?? (views.length && !views.some((s) => s.early) ? Math.min(...views.map((s) => s.floor)) : undefined);
  }

  #onMessage(msg: ServerMessage): void {
    this.#tabs?.relay(msg);
    if (msg.type === 'channel-ready') {
      this.#polling.stop();
      this.#connection.link('live');
      this.refresh();
    } else if (msg.type === 'channel-card') {
      const s = this.#streams.get(msg.channelId);
      if (s && msg.op === 'upsert') this.#ingest(s, [channelCard(msg.card)], false);
      else if (s?.store.remove(msg.op === 'delete' ? msg.cardId : '')) this.#changed(s);
    } else if (msg.type === 'channel-deleted') {
      for (const s of this.#views()) {
        s.store.reset([]);
        this.#changed(s);
      }
    } else if (msg.type === 'ready') {
      const since = this.#since();
      // Without a starting point the socket sends no history: read the feeds once more.
      if (since === undefined) this.#reload(msg.seq);
      else this.#sequence.reset(since);
      this.#fellBack = false;
      this.#polling.stop();
      this.#connection.link('live');
      void this.#flush();
    } else if (msg.type === 'change') {
      const verdict = this.#sequence.accept(msg.seq);
      // A gap: ask for the missing changes again; later ones are dropped until they come.
      // A tab without the socket cannot ask for a resume: it reads its feeds again.
      if (verdict === 'gap' && !this.#socket) return this.#reload(msg.seq);
      if (verdict === 'gap') this.#socket?.send({ type: 'resume', since: this.#sequence.last ?? 0 });
      if (verdict !== 'apply') return;
      for (const s of this.#views()) {
        // A stream waiting for a feed (its first, or #reload's) keeps the change: the feed may predate it.
        if (s.stream !== msg.streamId) continue;
        if (s.early) s.early.push(msg);
        else this.#apply(s, msg);
      }
    } else if (msg.type === 'reload') {
      this.#reload(msg.seq);
    }
  }

  /**
   * Reads every feed again, whole (without the ETag), from a read begun now: one already in
   * flight may predate `seq`, where the socket goes on from, and its answer is taken only if
   * it is not older. Until a feed lands the views keep the changes that come, as before
   * their first feed.
   */
  #reload(seq: number | undefined): void {
    this.#sequence.reset(seq);
    for (const s of this.#views()) {
      delete s.etag;
      s.floor = seq ?? -1;
      s.early = [];
      s.fetching = undefined;
      void this.#fetchFeed(s);
    }
  }

  #apply(s: StreamState, change: SdkChange): void {
    if (change.seq <= s.floor) return;
    s.floor = change.seq;
    // Whether a card belongs to a filtered view is the platform's to say: read it again.
    if (s.filter) return this.#later(s);
    const card = change.card && !this.#hidden.has(change.cardInstanceId) ? change.card : undefined;
    // With pages still to load, the held cards are the first of the stream: a card that
    // sorts after the last held one belongs to a page not loaded yet.
    const last = s.next ? s.store.list((c) => c.cardInstanceId !== change.cardInstanceId).at(-1) : undefined;
    if (card && !(last && compareCards(card, last) > 0)) this.#ingest(s, [card], false);
    else if (s.store.remove(change.cardInstanceId)) this.#changed(s);
    if (s.next) this.#later(s);
  }

  /** The platform's count (and the held cards) read again once a burst of changes settles. */
  #later(s: StreamState): void {
    clearTimeout(s.refetch);
    s.refetch = setTimeout(() => this.#fetchFeed(s), 150);
  }

  #socketDown(): void {
    if (!this.#running) return;
    if (this.options.transport === 'auto') {
      if (!this.#fellBack) {
        this.#fellBack = true;
        this.#broadcast(this.event('request-failed', { properties: { reason: 'websocket-unavailable', fallback: 'polling' } }));
      }
      this.#poll();
    } else {
      this.#connection.link('connecting');
    }
  }

  // ---- outbox and analytics ----

  async #send(entry: OutboxEntry): Promise<SendResult> {
    try {
      const res = await this.#api.request<{ error?: { code?: string } }>('POST', entry.path, entry.body);
      this.#reachable();
      if (res.status >= 400) this.#failed(new Error(`${res.status} ${res.body?.error?.code}`));
      if (res.status >= 500 || res.status === 401 || res.status === 429) return 'retry';
      if (entry.hides) {
        // Dismissed or completed is final: the card stays off screen whatever a read or a
        // change in flight still says of it. A snoozed card comes back later, so it shows
        // again once no read begun before this answer can land.
        // (Of the removing actions, REMOVING in actions.ts, only snooze is not final.)
        if (res.status < 400 && (entry.body as { type?: string }).type !== 'snooze') return 'sent';
        this.#hidden.delete(entry.hides);
        if (res.status < 400) this.#confirmed.set(entry.hides, this.#reads);
        // Refused (bad input, wrong state): the feed says whether the card is still there.
        // Without the ETag, so an unchanged feed comes back whole, not as a 304.
        if (res.status >= 400) this.#reload(this.#sequence.last);
      }
      return 'sent';
    } catch (err) {
      this.#failed(err);
      return 'retry';
    }
  }

  async #flush(): Promise<void> {
    await this.#ready;
    await this.#outbox!.flush();
    clearTimeout(this.#retryTimer);
    // Left over (offline, server trouble): try again later even if nothing else wakes us.
    if ((await this.#outbox!.entries()).length && this.#running) this.#retryTimer = setTimeout(() => void this.#flush(), 10_000);
  }

  // ---- state ----

  #reachable(): void {
    const was = this.state;
    this.#connection.reachable();
    // Back from offline or a refused session: what waited in the outbox can go.
    if (this.state !== was) void this.#flush();
  }

  #failed(err: unknown): void {
    if (this.#connection.failed(err)) {
      this.#broadcast(this.event('request-failed', { properties: { reason: err instanceof NetworkError ? 'network' : 'server', message: String(err) } }));
    }
  }

  /** Fires an event on every subscribed element (or those of one stream) and uploads it once. */
  #broadcast(event: AnalyticsEvent, only?: StreamState): void {
    for (const sub of this.#subs(only)) sub.event(event);
    this.track(event);
  }
}

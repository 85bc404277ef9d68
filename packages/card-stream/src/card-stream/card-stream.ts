import type { ContextCallback } from '@lit/context';
import { LitElement, html, nothing, type PropertyDeclarations, type PropertyValues, type TemplateResult } from 'lit';
import type { CardElement } from '../card/card.js';
import type { ButtonAction } from '../../../protocol/src/definition.js';
import type { SdkCard, SdkEventName, StreamFilterCondition } from '../../../protocol/src/sdk.js';
import type { AnalyticsEvent, DisplayMode, EventScope } from '../client/analytics.js';
import { REMOVING, type ActionRequest } from '../client/actions.js';
import { viewKey, type ConnectionState, type TransportMode } from '../client/client.js';
import type { RuntimeVariablesResolver } from '../client/vars.js';
import { ClientController } from '../client-controller.js';
import { getConfig, type SessionDelegate } from '../config.js';
import { streamApiContext, type StreamApi } from '../context.js';
import { DEFAULT_STRINGS, type Strings } from '../strings.js';
import { cardStreamStyles } from './card-stream.styles.js';
import { localeOf } from '../locale.js';
import { Launcher } from './launcher.js';
import type { CardStreamEvents } from '../template-types.js';

export type { DisplayMode, TransportMode };
export type Theme = 'light' | 'dark' | 'auto';

export const DEFAULT_POLL_INTERVAL = 15_000;
const LEAVE_MS = 150;
/** Scrolling counts as settled after this long without visibility changes. */
const SETTLE_MS = 150;
const EXPORTED_PARTS = 'menu-button,menu-item,snooze-option,snooze-date,vote-reason,button';

/** `template` with `{0}`, `{1}`… replaced by `values`. */
const fill = (template: string, ...values: number[]): string => template.replace(/\{(\d)\}/g, (_, i: string) => String(values[+i]));

export interface CsActionDetail {
  cardInstanceId: string;
  buttonId: string;
  action: ButtonAction;
}
export interface CsCountDetail {
  visible: number;
  total: number;
  /** Active cards no card-displayed has recorded for the user yet (on any device). */
  unseen: number;
}
export interface CsStateDetail {
  state: ConnectionState;
  /** With `unauthorized`: why no session token came. */
  reason?: string;
}

/**
 * `<card-stream>`: a user's card stream (CONTRACT §8).
 *
 * @tagname card-stream
 * @fires {CustomEvent<AnalyticsEvent>} cs-event - every SDK analytics event (detail: the event of CONTRACT §7)
 * @fires {CustomEvent<CsCountDetail>} cs-count - `{ visible, total, unseen }` when any changes
 * @fires {CustomEvent<CsActionDetail>} cs-action - a `custom` or `link` button was pressed; cancelable
 * @fires {CustomEvent<CsStateDetail>} cs-state - `{ state, reason? }`: connecting | live | polling | offline | unauthorized (with the reason)
 * @csspart card - each card (`data-card-id`)
 * @csspart menu-button - a card's ⋯ button (from inside the card)
 * @csspart menu-item - an item of an open card menu, `data-action` dismiss | snooze | vote-up | vote-down
 * @csspart snooze-option - a snooze choice, `data-interval` (ISO 8601)
 * @csspart snooze-date - the snooze date and time field
 * @csspart vote-reason - a vote-down reason, `data-reason`
 * @csspart button - a block button, `data-button-id`
 * @csspart empty - the empty stream
 * @csspart loading - shown until the first cards (or none) arrive
 * @csspart error - shown when the stream could not be loaded
 * @csspart launcher - `mode="launcher"`: the floating button that opens the panel
 * @csspart launcher-count - the number of cards on the launcher
 * @csspart panel - `mode="launcher"`: the panel that holds the stream
 * @csspart position - `mode="single"`: "1 of N"
 * @csspart scroll-prev - `mode="horizontal"`: scrolls back one card
 * @csspart scroll-next - `mode="horizontal"`: scrolls on one card
 * @csspart load-more - "Show more": the next page of cards (it also loads as it nears the view)
 * @cssprop --cs-accent - buttons, links, focus rings
 * @cssprop --cs-fg - text colour
 * @cssprop --cs-card-bg - card background
 * @cssprop --cs-card-border - card border
 * @cssprop --cs-card-radius - card corner radius
 * @cssprop --cs-gap - space between cards
 * @cssprop --cs-muted - secondary text
 * @cssprop --cs-on-accent - text on accent-coloured buttons and the launcher count
 * @cssprop --cs-error - the danger button, input errors and the error tone
 * @cssprop --cs-panel-bg - menus, pickers and the launcher panel
 * @cssprop --cs-launcher-inset - the launcher's distance from the bottom and inline-end edges
 * @cssprop --cs-panel-width - the launcher panel's width (at most the screen less 32px)
 */
export class CardStreamElement extends LitElement {
  static override styles = cardStreamStyles;

  static override properties: PropertyDeclarations = {
    stream: { type: String, reflect: true },
    channel: { type: String },
    apiBase: { type: String, attribute: 'api-base' },
    mode: { type: String, reflect: true },
    transport: { type: String },
    pollInterval: { type: Number, attribute: 'poll-interval' },
    theme: { type: String, reflect: true },
    headingLevel: { type: Number, attribute: 'heading-level' },
    pageSize: { type: Number, attribute: 'page-size' },
    filter: { type: Array },
    locale: { type: String },
    sessionDelegate: { attribute: false },
    sessionUrl: { type: String, attribute: 'session-url' },
    runtimeVariables: { attribute: false },
    strings: { attribute: false },
  };

  /** Stream id; `default` unless set. */
  declare stream: string;
  /** A public channel id to show instead of a user stream (no session token needed). */
  declare channel: string | undefined;
  /** Overrides `configure({ apiBase })` for this element. */
  declare apiBase: string | undefined;
  /** `stream` (default), `single` (the first card and "1 of N"), `horizontal` (a row with previous/next), `launcher` (a button that opens a panel). */
  declare mode: DisplayMode;
  declare transport: TransportMode;
  /** Polling interval in ms (at least 1000). */
  declare pollInterval: number;
  declare theme: Theme;
  /** Conditions that all hold (CONTRACT §8a), applied by the platform; attribute `filter` as JSON. */
  declare filter: StreamFilterCondition[] | undefined;
  /** Cards shown at first and added by each "Show more" (`page-size`, default 50). */
  declare pageSize: number;
  /** Level of each card's headline (`heading-level`, 1–6): 2 unless set, for a page whose own heading is an h1. */
  declare headingLevel: number;
  /** BCP 47 locale of the dates and times shown; else `configure({ locale })`, the nearest `lang`, the browser's. */
  declare locale: string | undefined;
  /** Overrides `configure({ sessionDelegate })` for this element. */
  declare sessionDelegate: SessionDelegate | undefined;
  /** The host backend's token URL (`{ token }` or text, fetched with the page's cookies), instead of a delegate. */
  declare sessionUrl: string | undefined;
  /** Overrides `configure({ runtimeVariables })`. */
  declare runtimeVariables: RuntimeVariablesResolver | undefined;
  /** UI text overrides. */
  declare strings: Partial<Strings> | undefined;

  readonly #controller = new ClientController(this);
  readonly #launcher = new Launcher(this);
  #api = this.#makeApi();
  /** Cards that asked for the API with `subscribe`, each with its stable unsubscribe. */
  readonly #consumers = new Map<ContextCallback<StreamApi>, () => void>();
  #observer?: IntersectionObserver;
  readonly #onScreen = new Set<string>();
  readonly #toDisplay = new Set<string>();
  #displayTimer?: ReturnType<typeof setTimeout>;
  #streamDisplayed = false;
  #lastCount = '';
  #lastState?: ConnectionState;
  /** Ids of the stream's cards at the last update, so arrivals can be announced. */
  #known = new Set<string>();
  /** Cards arriving after the first load are announced; those of the first load are not. */
  #loaded = false;

  constructor() {
    super();
    // Assigned here, not as class fields, so lit's accessors are never shadowed
    // whatever the compiler's useDefineForClassFields setting.
    this.stream = 'default';
    this.mode = 'stream';
    this.transport = 'auto';
    this.pollInterval = DEFAULT_POLL_INTERVAL;
    this.theme = 'auto';
    this.headingLevel = 2;
    this.pageSize = 50;
    // The provider side of the @lit/context protocol, answered directly (a ContextProvider
    // costs 0.4 KB more gzip than the bundle budget has): each card asks with subscribe.
    this.addEventListener('context-request', (e) => {
      if (e.context !== streamApiContext) return;
      e.stopPropagation();
      const callback = e.callback as ContextCallback<StreamApi>;
      if (!e.subscribe) return callback(this.#api);
      let unsubscribe = this.#consumers.get(callback);
      if (!unsubscribe) this.#consumers.set(callback, (unsubscribe = () => this.#consumers.delete(callback)));
      callback(this.#api, unsubscribe);
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#observer?.disconnect();
    this.#observer = undefined;
    this.#nearEnd?.disconnect();
    this.#onScreen.clear();
    this.#streamDisplayed = false;
    this.#lastState = undefined;
    this.#loaded = false;
  }

  /** Cards in display order (what is on screen, before `mode="single"` keeps the first). */
  get cards(): SdkCard[] {
    return this.#controller.client?.cards(this.#streamKey) ?? [];
  }

  /** The client's key for what this element shows: the channel, else the stream. */
  get #streamKey(): string {
    return this.channel || viewKey(this.stream, this.filter);
  }

  /** The connection state last announced with `cs-state`. */
  get state(): ConnectionState | undefined {
    return this.#lastState;
  }

  /** @internal the client calls these through its controller */
  clientEvent(event: AnalyticsEvent): void {
    this.#emit('cs-event', event);
  }

  /** @internal */
  clientState(state: ConnectionState, reason?: string): void {
    if (state === this.#lastState) return;
    this.#lastState = state;
    this.#emit('cs-state', reason ? { state, reason } : { state });
  }

  #uiStrings(): Strings {
    return { ...DEFAULT_STRINGS, ...getConfig().strings, ...this.strings };
  }

  #makeApi(): StreamApi {
    return {
      strings: this.#uiStrings(),
      level: this.headingLevel,
      locale: () => localeOf(this, this.locale),
      vars: (card) => this.#controller.client?.vars(card) ?? card.runtimeVariables,
      act: (card, request, id) => void this.#act(card, request, id),
      track: (name, scope) => this.#track(name, scope),
      action: (card, button, action) =>
        this.#emit('cs-action', { cardInstanceId: card.cardInstanceId, buttonId: button.id, action } satisfies CsActionDetail, true),
    };
  }

  #emit(type: string, detail: unknown, cancelable = false): boolean {
    return this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable }));
  }

  #track(name: SdkEventName, scope: EventScope = {}): void {
    const client = this.#controller.client;
    if (!client) return;
    const event = client.event(name, { streamId: this.channel || this.stream, displayMode: this.mode, cards: this.cards, ...scope });
    this.#emit('cs-event', event);
    client.track(event);
  }

  #cardElement(id: string): HTMLElement | null {
    return this.renderRoot.querySelector(`cs-card[data-card-id="${CSS.escape(id)}"]`);
  }

  /** Removing actions play a short exit, then the card leaves (#syncCards moves focus on). */
  async #act(card: SdkCard, request: ActionRequest, id?: string): Promise<void> {
    const client = this.#controller.client;
    if (!client) return;
    if (REMOVING.has(request.type)) {
      this.#cardElement(card.cardInstanceId)?.setAttribute('leaving', '');
      if (!matchMedia('(prefers-reduced-motion: reduce)').matches) await new Promise((r) => setTimeout(r, LEAVE_MS));
    }
    void client.act(card, request, id);
  }

  #onIntersect(entries: IntersectionObserverEntry[]): void {
    for (const entry of entries) {
      const id = entry.target.getAttribute('data-card-id') ?? '';
      if (entry.isIntersecting && entry.intersectionRatio >= 0.5) {
        if (!this.#onScreen.has(id)) this.#toDisplay.add(id);
        this.#onScreen.add(id);
      } else {
        this.#onScreen.delete(id);
        this.#toDisplay.delete(id);
      }
    }
    clearTimeout(this.#displayTimer);
    // Once scrolling settles, each card that came into view counts one display.
    this.#displayTimer = setTimeout(() => {
      const cards = this.cards;
      for (const id of this.#toDisplay) {
        const card = cards.find((c) => c.cardInstanceId === id);
        if (card && this.#onScreen.has(id)) this.#track('card-displayed', { card });
      }
      this.#toDisplay.clear();
    }, SETTLE_MS);
  }

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('strings') || changed.has('headingLevel')) {
      this.#api = this.#makeApi();
      for (const [callback, unsubscribe] of this.#consumers) callback(this.#api, unsubscribe);
    }
  }

  protected override updated(changed: PropertyValues): void {
    if (['stream', 'filter', 'channel', 'apiBase', 'sessionDelegate', 'sessionUrl', 'transport', 'pollInterval'].some((p) => changed.has(p))) {
      this.#controller.sync();
    }
    const client = this.#controller.client;
    if (!client) return;
    const shown = this.#syncCards();
    this.#edges();
    const more = this.renderRoot.querySelector('[part=load-more]');
    // Observing a button already observed does nothing: it fires as the button comes near the view, not on every render.
    if (more) (this.#nearEnd ??= new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && this.#showMore(), { rootMargin: '400px' })).observe(more);
    this.#announceArrivals(client.status(this.#streamKey) !== 'loading');
    // A closed launcher shows no card; each opening displays the stream again.
    const closed = this.mode === 'launcher' && !this.#launcher.open;
    const count = JSON.stringify({ visible: closed ? 0 : shown, total: client.total(this.#streamKey), unseen: client.unseen(this.#streamKey) } satisfies CsCountDetail);
    if (count !== this.#lastCount) {
      this.#lastCount = count;
      this.#emit('cs-count', JSON.parse(count));
    }
    if (closed) this.#streamDisplayed = false;
    else if (!this.#streamDisplayed && client.status(this.#streamKey) !== 'loading') {
      this.#streamDisplayed = true;
      this.#track('stream-displayed');
    }
  }

  /** Says how many cards arrived, politely, in the element's one live region. */
  #announceArrivals(loaded: boolean): void {
    const ids = this.cards.map((c) => c.cardInstanceId);
    const arrived = this.#loaded ? ids.filter((id) => !this.#known.has(id)).length : 0;
    this.#known = new Set(ids);
    this.#loaded ||= loaded;
    const region = this.renderRoot.querySelector('.live');
    if (!arrived || !region) return;
    const s = this.#uiStrings();
    const text = arrived === 1 ? s.newCard : fill(s.newCards, arrived);
    // The same words twice would not be read again; a trailing no-break space makes them new.
    region.textContent = region.textContent === text ? `${text}\u00a0` : text;
  }

  get #feed(): HTMLElement {
    return this.renderRoot.querySelector('.feed')!;
  }

  /**
   * `mode="horizontal"`: previous/next say whether there is anything to scroll to, that is
   * whether the first (last) card is not wholly in view; the same in either direction.
   */
  #edges(): void {
    const [prev, next] = this.renderRoot.querySelectorAll('.pager button');
    if (!prev || !next) return;
    const feed = this.#feed;
    const box = feed.getBoundingClientRect();
    const inView = (card: Element | null) => {
      const r = card?.getBoundingClientRect();
      return !r || (r.left >= box.left - 1 && r.right <= box.right + 1);
    };
    prev.setAttribute('aria-disabled', String(inView(feed.firstElementChild)));
    next.setAttribute('aria-disabled', String(inView(feed.lastElementChild)));
  }

  /** Scrolls one card towards the end (1) or the start (-1), mirrored under dir="rtl". */
  #scroll(step: number): void {
    const feed = this.#feed;
    const width = (feed.firstElementChild as HTMLElement | null)?.offsetWidth ?? 0;
    feed.scrollBy({ left: getComputedStyle(feed).direction === 'rtl' ? -step * width : step * width });
  }

  /**
   * Puts one <cs-card> per card in the feed, in order. Cards are kept by id and only
   * inserted or removed around each other, so the one holding focus (or an open menu,
   * or typed input) is never re-created or moved by changes elsewhere in the stream.
   */
  #syncCards(): number {
    const feed = this.#feed;
    const cards = this.#shown();
    const ids = new Set(cards.map((c) => c.cardInstanceId));
    const observer = (this.#observer ??= new IntersectionObserver((entries) => this.#onIntersect(entries), { threshold: [0, 0.5] }));
    // A card leaving with focus inside hands it to the card now in its place (or the last,
    // or the empty state).
    let refocus = -1;
    const kept = new Map<string, CardElement>();
    [...feed.children].forEach((el, i) => {
      const id = el.getAttribute('data-card-id') ?? '';
      if (ids.has(id)) return void kept.set(id, el as CardElement);
      if (el.matches(':focus-within')) refocus = i;
      observer.unobserve(el);
      el.remove();
    });
    let at = feed.firstElementChild;
    cards.forEach((card, i) => {
      let el = kept.get(card.cardInstanceId);
      if (!el) {
        el = document.createElement('cs-card');
        el.setAttribute('part', 'card');
        el.setAttribute('exportparts', EXPORTED_PARTS);
        el.setAttribute('role', 'article');
        el.setAttribute('data-card-id', card.cardInstanceId);
        el.tabIndex = 0;
        observer.observe(el);
      }
      el.card = card;
      el.setAttribute('tone', card.definition.status ?? 'default');
      el.setAttribute('aria-posinset', String(i + 1));
      el.setAttribute('aria-setsize', String(cards.length));
      if (el === at) at = at.nextElementSibling;
      else feed.insertBefore(el, at);
    });
    if (refocus >= 0) ((feed.children[refocus] ?? feed.lastElementChild ?? this.renderRoot.querySelector('[part~="empty"]') ?? feed) as HTMLElement).focus();
    return cards.length;
  }

  /** Cards on screen beyond the first page: each "Show more" adds a page. */
  #pages = 1;

  /** The cards on screen: the pages shown so far, or the first card in `mode="single"`. */
  #shown(): SdkCard[] {
    return this.cards.slice(0, this.mode === 'single' ? 1 : this.#pages * Math.max(1, this.pageSize || 50));
  }

  /** Whether "Show more" has anything to show: the stream's total is more than is on screen. */
  #hasMore(): boolean {
    return this.mode !== 'single' && this.#shown().length < (this.#controller.client?.total(this.#streamKey) ?? 0);
  }

  #showMore(): void {
    this.#pages++;
    // Pages come from the platform once the held cards run out (the client asks once at a time).
    if (this.#shown().length >= this.cards.length) void this.#controller.client?.loadMore(this.#streamKey);
    this.requestUpdate();
  }

  /** Loads on before the reader reaches the end: the "Show more" button coming near the view. */
  #nearEnd?: IntersectionObserver;

  /** "1 of N" in `mode="single"`, previous/next in `mode="horizontal"`. */
  #controls(s: Strings, shown: number, total: number): TemplateResult | typeof nothing {
    if (!shown) return nothing;
    if (this.mode === 'single') return html`<p part="position" class="bar">${fill(s.position, 1, total)}</p>`;
    if (this.mode !== 'horizontal') return nothing;
    return html`<div class="pager">
      <button type="button" part="scroll-prev" aria-label=${s.previous} @click=${() => this.#scroll(-1)}>‹</button>
      <button type="button" part="scroll-next" aria-label=${s.next} @click=${() => this.#scroll(1)}>›</button>
    </div>`;
  }

  protected override render(): TemplateResult {
    const client = this.#controller.client;
    const s = this.#uiStrings();
    const status = client?.status(this.#streamKey) ?? 'loading';
    const shown = this.#shown().length;
    const total = client?.total(this.#streamKey) ?? 0;
    const busy = status === 'loading';
    // The cards themselves are placed by #syncCards() after each render.
    const state = shown
      ? nothing
      : busy
        ? html`<div part="loading" class="state" role="status">${s.loading}</div>`
        : status === 'error'
          ? html`<div part="error" class="state" role="alert">${s.error} <button type="button" @click=${() => client?.refresh()}>${s.retry}</button></div>`
          : html`<div part="empty" class="state" tabindex="-1">${s.empty}</div>`;
    // A feed holds articles: with none (and nothing loading) it is a plain container.
    const feed = shown || busy;
    const content = html`${this.#controls(s, shown, total)}
      <div
        class="feed"
        role=${feed ? 'feed' : nothing}
        tabindex="-1"
        aria-label=${feed ? s.feed : nothing}
        aria-busy=${feed ? String(busy) : nothing}
        @scroll=${this.#edges}
      ></div>
      ${state}
      ${this.#hasMore() ? html`<button type="button" part="load-more" class="state" @click=${this.#showMore}>${s.more}</button>` : nothing}`;
    return html`${this.mode === 'launcher' ? this.#launcher.render(s.feed, total, content) : content}
      <div class="live sr" role="status"></div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'card-stream': CardStreamElement;
  }
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface GlobalEventHandlersEventMap extends CardStreamEvents {}
}

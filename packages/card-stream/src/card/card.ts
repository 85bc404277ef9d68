import { ContextEvent } from '@lit/context';
import { LitElement, html, nothing, type PropertyDeclarations, type TemplateResult } from 'lit';
import type { Button } from '../../../protocol/src/definition.js';
import type { SdkCard, VoteReason } from '../../../protocol/src/sdk.js';
import { localTimestamp, uuid } from '../client/analytics.js';
import { fillText, fillUrl, type Vars } from '../client/vars.js';
import { streamApiContext, type StreamApi } from '../context.js';
import { heading, renderBlock, type BlockContext, type ButtonBlock } from '../render/blocks.js';
import { formatWhen } from '../locale.js';
import { MEDIA_SCHEMES, safeUrl } from '../render/url.js';
import { DEFAULT_STRINGS } from '../strings.js';
import { ownEntry } from '../own.js';
import { cardStyles } from './card.styles.js';

type Panel = '' | 'menu' | 'snooze' | 'vote' | 'other';
type MenuAction = 'dismiss' | 'snooze' | 'vote-up' | 'vote-down';
type Values = Record<string, string | number | boolean>;

/** The snooze choices and their length in hours. */
const SNOOZE_HOURS = { PT1H: 1, PT4H: 4, P1D: 24, P7D: 168 } as const;
export const SNOOZE_INTERVALS = Object.keys(SNOOZE_HOURS) as (keyof typeof SNOOZE_HOURS)[];
const MENU_ACTIONS: readonly MenuAction[] = ['dismiss', 'snooze', 'vote-up', 'vote-down'];
const VOTE_REASONS: readonly VoteReason[] = ['not-relevant', 'too-often', 'other'];
const MESSAGE_MAX = 280;

/**
 * `<cs-card>`: one card of a `<card-stream>`, which provides its actions and analytics
 * through @lit/context (a context request with subscribe). Not meant to be used on its own.
 *
 * The menu follows the WAI-ARIA menu button pattern: Enter, Space or ArrowDown open it on
 * its first item (ArrowUp: the last); arrow keys, Home and End move; Escape closes it and
 * returns focus to the button; Tab or a click outside closes it.
 *
 * @tagname cs-card
 * @csspart menu-button - the card's menu toggle
 * @csspart menu-item - a menu entry; `data-action` is dismiss | snooze | vote-up | vote-down
 * @csspart snooze-option - a snooze choice; `data-interval` is an ISO 8601 duration
 * @csspart vote-reason - a vote-down reason; `data-reason`
 * @csspart button - a block button; `data-button-id`
 */
export class CardElement extends LitElement {
  static override styles = cardStyles;

  static override properties: PropertyDeclarations = {
    card: { attribute: false },
    panel: { state: true },
    subview: { state: true },
    errors: { state: true },
  };

  declare card: SdkCard | undefined;
  declare panel: Panel;
  declare subview: string | undefined;
  /** Messages of the inputs that failed their check on submit, by input name. */
  declare errors: Record<string, string>;
  #api?: StreamApi | undefined;
  #unsubscribe?: (() => void) | undefined;
  /** Stable, so the provider recognises this card when it asks again after reconnecting. */
  readonly #receive = (api: StreamApi, unsubscribe?: () => void): void => {
    this.#api = api;
    this.#unsubscribe = unsubscribe;
    this.requestUpdate();
  };
  /** A click outside the open menu (and its button) closes it, leaving focus where it went. */
  readonly #outside = (event: Event): void => {
    const path = event.composedPath();
    if (!['.menu', '.menu-button'].some((s) => path.includes(this.renderRoot.querySelector(s)!))) this.panel = '';
  };

  constructor() {
    super();
    this.panel = '';
    this.errors = {};
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // The consumer side of the @lit/context protocol: the enclosing <card-stream> answers
    // (and answers again when its API changes, e.g. new strings).
    this.dispatchEvent(new ContextEvent(streamApiContext, this, this.#receive, true));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#unsubscribe?.();
    document.removeEventListener('click', this.#outside);
  }

  get #strings() {
    return this.#api?.strings ?? DEFAULT_STRINGS;
  }

  #vars(): Vars {
    return this.card && this.#api ? this.#api.vars(this.card) : {};
  }

  #menuActions({ definition: d }: SdkCard): MenuAction[] {
    const up = d.voting === 'both' || d.voting === 'useful';
    const down = d.voting === 'both' || d.voting === 'notUseful';
    const shown = [d.dismissible !== false, d.snoozable !== false, up, down];
    return MENU_ACTIONS.filter((_, i) => shown[i]);
  }

  #track(name: Parameters<StreamApi['track']>[0], properties?: Record<string, unknown>, id?: string): void {
    if (this.card) this.#api?.track(name, { card: this.card, properties, viewState: this.subview ? 'subview' : 'topview', id });
  }

  #act(request: Parameters<StreamApi['act']>[1], id?: string): void {
    if (this.card) this.#api?.act(this.card, request, id);
  }

  /**
   * Opens a panel and moves focus into it (its first control, or the last with `last`);
   * closing returns focus to the menu button.
   */
  async #open(panel: Panel, last = false): Promise<void> {
    const wasSnooze = this.panel === 'snooze';
    this.panel = panel;
    if (panel === 'snooze') this.#track('snooze-options-displayed');
    if (wasSnooze && panel === '') this.#track('snooze-options-canceled');
    await this.updateComplete;
    const targets = this.renderRoot.querySelectorAll<HTMLElement>(panel ? '.panel button, .panel textarea' : '.menu-button');
    targets[last ? targets.length - 1 : 0]?.focus();
  }

  /** Arrow keys, Home and End move through the menu's items (wrapping); Tab closes it. */
  #onMenuKeydown(event: KeyboardEvent): void {
    const items = [...this.renderRoot.querySelectorAll<HTMLElement>('[role="menuitem"]')];
    const n = items.length;
    const at = items.indexOf(this.shadowRoot!.activeElement as HTMLElement);
    const to = { ArrowDown: at + 1, ArrowUp: at - 1 + n, Home: 0, End: n - 1 }[event.key];
    if (to !== undefined) {
      event.preventDefault();
      items[to % n]?.focus();
    } else if (event.key === 'Tab') this.panel = '';
  }

  #menu(action: MenuAction): void {
    if (action === 'dismiss') this.#act({ type: 'dismiss' });
    else if (action === 'snooze') void this.#open('snooze');
    else if (action === 'vote-up') this.#vote('up');
    else void this.#open('vote');
  }

  #vote(direction: 'up' | 'down', reason?: VoteReason, message?: string): void {
    // The vote event shares the action's id, so the server keeps one of the two.
    const id = uuid();
    const properties: Record<string, unknown> = reason ? { reason, ...(message ? { message } : {}) } : {};
    // Undefined fields are left out of the JSON body.
    this.#act({ type: 'vote', direction, reason, message }, id);
    this.#track(direction === 'up' ? 'card-voted-up' : 'card-voted-down', properties, id);
    void this.#open('');
  }

  /** The browser checks the chosen time (required, not before `min`, now). */
  #snoozeAt(): void {
    const input = this.renderRoot.querySelector<HTMLInputElement>('input[type="datetime-local"]');
    if (input?.reportValidity()) this.#act({ type: 'snooze', until: new Date(input.value).toISOString() });
  }

  /**
   * The inputs' values; or, when one fails its check, undefined: each such input shows the
   * browser's message under it (aria-invalid, aria-describedby) and the first takes focus.
   */
  #values(): Values | undefined {
    const controls = [...this.renderRoot.querySelectorAll<HTMLInputElement>('form [name]')];
    const invalid = controls.filter((el) => !el.checkValidity());
    this.errors = Object.fromEntries(invalid.map((el) => [el.name, el.validationMessage]));
    if (invalid.length) return void this.updateComplete.then(() => invalid[0]!.focus());
    const values: Values = {};
    // A <select>'s type is "select-one", so checking `type` alone tells the kinds apart.
    for (const el of controls) {
      if (el.type === 'checkbox') values[el.name] = el.checked;
      else if (el.value === '') continue;
      else values[el.name] = el.type === 'number' ? el.valueAsNumber : el.value;
    }
    return values;
  }

  #press(block: ButtonBlock, button: Button): void {
    const action = button.action;
    const api = this.#api;
    if (!api || !this.card) return;
    if (!action) return this.#act({ type: 'interaction', buttonId: button.id, blockId: block.id });
    switch (action.type) {
      case 'submit': {
        const values = this.#values();
        if (!values) return;
        if (this.subview) this.#track('card-subview-exited', { subviewId: this.subview, reason: 'submitted' });
        return this.#act({ type: 'complete', values, buttonId: button.id, payload: action.payload });
      }
      case 'link': {
        const url = safeUrl(fillUrl(action.url, this.#vars()));
        if (!url || !api.action(this.card, button, { ...action, url })) return;
        this.#track('user-redirected', { url, buttonId: button.id });
        window.open(url, '_blank', 'noopener,noreferrer');
        return;
      }
      case 'custom':
        if (api.action(this.card, button, action)) this.#track('user-redirected', { buttonId: button.id, payload: action.payload });
        return;
      case 'subview':
        // Only a subview the card has: a name like "constructor" is no subview of {}.
        if (!ownEntry(this.card.definition.subviews, action.subviewId)) return;
        return void this.#showSubview(action.subviewId);
      case 'dismiss':
        return this.#act({ type: 'dismiss' });
      case 'snooze':
        return this.#act({ type: 'snooze', interval: action.interval });
    }
  }

  async #showSubview(id: string | undefined): Promise<void> {
    const previous = this.subview;
    if (previous) this.#track('card-subview-exited', { subviewId: previous, reason: 'back' });
    this.subview = id;
    if (id) this.#track('card-subview-displayed', { subviewId: id });
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>(id ? '.back' : '.blocks button, [part~="menu-button"]')?.focus();
  }

  #blockContext(): BlockContext {
    const vars = this.#vars();
    return {
      level: this.#api?.level ?? 2,
      error: (name) => this.errors[name],
      text: (raw) => fillText(raw, vars),
      link: (raw) => safeUrl(fillUrl(raw, vars)),
      media: (raw) => safeUrl(fillUrl(raw, vars), MEDIA_SCHEMES),
      button: (block, b) => this.#renderButton(block, b, vars),
      video: (name) => this.#track(name),
    };
  }

  #renderButton(block: ButtonBlock, b: Button, vars: Vars): TemplateResult {
    return html`<button
      type="button"
      part="button"
      class=${b.style ?? 'secondary'}
      data-button-id=${b.id}
      ?disabled=${b.disabled === true}
      @click=${() => this.#press(block, b)}
    >
      ${fillText(b.label, vars)}
    </button>`;
  }

  /** An input's message goes once it is edited. */
  #onInput(event: Event): void {
    const name = (event.target as HTMLInputElement).name;
    if (name in this.errors) {
      const { [name]: _, ...rest } = this.errors;
      this.errors = rest;
    }
  }

  /** Escape closes an open menu or picker and returns focus to the menu button. */
  #onKeydown(event: KeyboardEvent): void {
    if (event.key === 'Escape' && this.panel) {
      event.stopPropagation();
      void this.#open('');
    }
  }

  #renderPanel(card: SdkCard): TemplateResult | typeof nothing {
    const s = this.#strings;
    const cancel = html`<button type="button" class="cancel" @click=${() => this.#open('')}>${s.cancel}</button>`;
    switch (this.panel) {
      case 'menu':
        return html`<div class="panel menu" role="menu" aria-label=${s.menu} @keydown=${this.#onMenuKeydown}>
          ${this.#menuActions(card).map(
            (a) => html`<button
              type="button"
              role="menuitem"
              tabindex="-1"
              part="menu-item"
              data-action=${a}
              @click=${() => this.#menu(a)}
            >
              ${s[a]}
            </button>`,
          )}
        </div>`;
      case 'snooze': {
        const locale = this.#api?.locale();
        return html`<div class="panel" role="group" aria-label=${s.snoozeTitle}>
          <p class="title">${s.snoozeTitle}</p>
          ${SNOOZE_INTERVALS.map(
            (interval) => html`<button type="button" part="snooze-option" data-interval=${interval} @click=${() => this.#act({ type: 'snooze', interval })}>
              ${s[interval]} <span class="when">${formatWhen(new Date(Date.now() + SNOOZE_HOURS[interval] * 3_600_000), locale)}</span>
            </button>`,
          )}
          <label class="field">${s.snoozeAt}
            <input type="datetime-local" part="snooze-date" required min=${localTimestamp(new Date()).slice(0, 16)} />
          </label>
          <button type="button" class="primary" @click=${() => this.#snoozeAt()}>${s.snooze}</button>
          ${cancel}
        </div>`;
      }
      case 'vote':
        return html`<div class="panel" role="group" aria-label=${s.voteTitle}>
          <p class="title">${s.voteTitle}</p>
          ${VOTE_REASONS.map(
            (reason) => html`<button
              type="button"
              part="vote-reason"
              data-reason=${reason}
              @click=${() => (reason === 'other' ? void this.#open('other') : this.#vote('down', reason))}
            >
              ${s[reason]}
            </button>`,
          )}
          ${cancel}
        </div>`;
      case 'other':
        return html`<div class="panel" role="group" aria-label=${s.voteTitle}>
          <label class="field">${s.otherMessage}<textarea maxlength=${MESSAGE_MAX} rows="3"></textarea></label>
          <button
            type="button"
            class="primary"
            @click=${() => this.#vote('down', 'other', this.renderRoot.querySelector('textarea')?.value.slice(0, MESSAGE_MAX) ?? '')}
          >
            ${s.send}
          </button>
          ${cancel}
        </div>`;
      default:
        return nothing;
    }
  }

  protected override updated(): void {
    document[this.panel === 'menu' ? 'addEventListener' : 'removeEventListener']('click', this.#outside);
    const headline = this.card?.definition.blocks.find((b) => b.type === 'headline');
    if (headline) this.setAttribute('aria-label', fillText(headline.content, this.#vars()));
  }

  protected override render(): TemplateResult | typeof nothing {
    const card = this.card;
    if (!card) return nothing;
    const ctx = this.#blockContext();
    const subview = this.subview ? ownEntry(card.definition.subviews, this.subview) : undefined;
    const hasMenu = this.#menuActions(card).length > 0;
    return html`<div class="card" @keydown=${this.#onKeydown}>
      ${hasMenu
        ? html`<button
            type="button"
            part="menu-button"
            class="menu-button"
            aria-haspopup="menu"
            aria-expanded=${String(this.panel === 'menu')}
            aria-label=${this.#strings.menu}
            @click=${() => this.#open(this.panel === 'menu' ? '' : 'menu')}
            @keydown=${(e: KeyboardEvent) => {
              if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
                e.preventDefault();
                void this.#open('menu', e.key === 'ArrowUp');
              }
            }}
          >
            ⋯
          </button>`
        : nothing}
      ${this.#renderPanel(card)}
      <form class="blocks" @submit=${(e: Event) => e.preventDefault()} @input=${this.#onInput}>
        ${subview
          ? html`<div class="subview-head">
                <button type="button" class="back" @click=${() => this.#showSubview(undefined)}>‹ ${this.#strings.back}</button>
                ${heading(ctx.level, ctx.text(subview.title))}
              </div>
              ${subview.blocks.map((b) => renderBlock(b, ctx))}`
          : card.definition.blocks.map((b) => renderBlock(b, ctx))}
      </form>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cs-card': CardElement;
  }
}

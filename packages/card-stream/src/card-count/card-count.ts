import { LitElement, html, type PropertyDeclarations, type PropertyValues, type TemplateResult } from 'lit';
import { ClientController } from '../client-controller.js';
import type { SessionDelegate } from '../config.js';
import { cardCountStyles } from './card-count.styles.js';

/**
 * `<card-count stream="…">`: the number of active cards in a stream (CONTRACT §8). It
 * shares the page's client (and socket) with the `<card-stream>` elements.
 *
 * @tagname card-count
 * @csspart count - the number
 */
export class CardCountElement extends LitElement {
  static override styles = cardCountStyles;

  static override properties: PropertyDeclarations = {
    stream: { type: String, reflect: true },
    apiBase: { type: String, attribute: 'api-base' },
    sessionDelegate: { attribute: false },
    sessionUrl: { type: String, attribute: 'session-url' },
    unseen: { type: Boolean },
  };

  declare stream: string;
  declare apiBase: string | undefined;
  declare sessionDelegate: SessionDelegate | undefined;
  /** As on `<card-stream>`: the host backend's token URL instead of a delegate. */
  declare sessionUrl: string | undefined;
  /** Shows the unseen cards (no card-displayed recorded for the user yet) instead of the total. */
  declare unseen: boolean;
  readonly #controller = new ClientController(this);

  constructor() {
    super();
    this.stream = 'default';
  }

  /** Active cards in the stream. */
  get total(): number {
    return this.#controller.client?.total(this.stream) ?? 0;
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('stream') || changed.has('apiBase') || changed.has('sessionDelegate') || changed.has('sessionUrl')) this.#controller.sync();
  }

  protected override render(): TemplateResult {
    return html`<span part="count">${this.unseen ? (this.#controller.client?.unseen(this.stream) ?? 0) : this.total}</span>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'card-count': CardCountElement;
  }
}

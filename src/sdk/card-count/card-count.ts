import { LitElement, html, type PropertyDeclarations, type TemplateResult } from 'lit';
import type { SessionDelegate } from '../config.js';
import { cardCountStyles } from './card-count.styles.js';

/**
 * `<card-count stream="…">`: the number of active cards in a stream (CONTRACT §8).
 * Placeholder: shows 0 until the client exists.
 */
export class CardCountElement extends LitElement {
  static override styles = cardCountStyles;

  static override properties: PropertyDeclarations = {
    stream: { type: String, reflect: true },
    apiBase: { type: String, attribute: 'api-base' },
    sessionDelegate: { attribute: false },
    total: { state: true },
  };

  declare stream: string;
  declare apiBase: string | undefined;
  declare sessionDelegate: SessionDelegate | undefined;
  /** Active cards in the stream. */
  declare total: number;

  constructor() {
    super();
    this.stream = 'default';
    this.total = 0;
  }

  protected override render(): TemplateResult {
    return html`<span part="count">${this.total}</span>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'card-count': CardCountElement;
  }
}

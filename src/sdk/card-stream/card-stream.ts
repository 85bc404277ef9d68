import { LitElement, html, type PropertyDeclarations, type TemplateResult } from 'lit';
import type { SessionDelegate } from '../config.js';
import { cardStreamStyles } from './card-stream.styles.js';

export type DisplayMode = 'stream' | 'single' | 'horizontal';
export type Transport = 'auto' | 'websocket' | 'polling';
export type Theme = 'light' | 'dark' | 'auto';

export const DEFAULT_POLL_INTERVAL = 15_000;

/**
 * `<card-stream>`: a user's card stream (CONTRACT §8). Placeholder: renders the empty
 * state; loading and showing cards come later.
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
    sessionDelegate: { attribute: false },
  };

  /** Stream id; `default` unless set. */
  declare stream: string;
  /** A channel id to show instead of a user stream. */
  declare channel: string | undefined;
  /** Overrides `configure({ apiBase })` for this element. */
  declare apiBase: string | undefined;
  declare mode: DisplayMode;
  declare transport: Transport;
  /** Polling interval in ms (at least 1000). */
  declare pollInterval: number;
  declare theme: Theme;
  /** Overrides `configure({ sessionDelegate })` for this element. */
  declare sessionDelegate: SessionDelegate | undefined;

  constructor() {
    super();
    // Assigned here, not as class fields, so lit's accessors are never shadowed
    // whatever the compiler's useDefineForClassFields setting.
    this.stream = 'default';
    this.mode = 'stream';
    this.transport = 'auto';
    this.pollInterval = DEFAULT_POLL_INTERVAL;
    this.theme = 'auto';
  }

  protected override render(): TemplateResult {
    return html`<div part="empty">No cards yet</div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'card-stream': CardStreamElement;
  }
}

// `mode="launcher"` (CONTRACT §8a): a floating button with the live count that opens the
// stream in a panel. Escape, a click outside the element or the button close it; focus
// moves into the panel on open and back to the button on close.
import { html, type ReactiveController, type ReactiveElement, type TemplateResult } from 'lit';

// A bell, drawn once here so the bundle needs no icon set.
const BELL = html`<svg aria-hidden="true" viewBox="0 0 24 24" width="22" height="22">
  <path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.4-2h-4.8a2.5 2.5 0 0 0 2.4 2zm7-6v-5a7 7 0 0 0-5.5-6.8V3.5a1.5 1.5 0 0 0-3 0v.7A7 7 0 0 0 5 11v5l-2 2v1h18v-1z" />
</svg>`;

export class Launcher implements ReactiveController {
  /** Whether the panel is open. */
  open = false;
  readonly #host: ReactiveElement;

  /** Clicks anywhere outside the element close the panel. */
  readonly #outside = (event: Event): void => {
    if (!event.composedPath().includes(this.#host)) void this.toggle(false);
  };

  constructor(host: ReactiveElement) {
    this.#host = host;
    host.addController(this);
    // A card that closes its own menu or picker on Escape stops the event first.
    host.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.open) void this.toggle(false);
    });
  }

  hostDisconnected(): void {
    this.open = false;
    document.removeEventListener('click', this.#outside);
  }

  /**
   * Opens or closes the panel. Opening focuses the first card (or the panel); closing
   * focuses the button, unless the reader has meanwhile put focus elsewhere on the page.
   */
  async toggle(open = !this.open): Promise<void> {
    if (open === this.open) return;
    this.open = open;
    document[open ? 'addEventListener' : 'removeEventListener']('click', this.#outside);
    this.#host.requestUpdate();
    await this.#host.updateComplete;
    const root = this.#host.renderRoot;
    const active = document.activeElement;
    if (open) (root.querySelector<HTMLElement>('[part~="card"]') ?? root.querySelector<HTMLElement>('[part~="panel"]'))?.focus();
    else if (!active || active === document.body || active === this.#host) root.querySelector<HTMLElement>('[part~="launcher"]')?.focus();
  }

  /** The button (`label` for screen readers, then the count) and the panel around `content`. */
  render(label: string, count: number, content: TemplateResult): TemplateResult {
    return html`<button type="button" part="launcher" class="launcher" aria-expanded=${String(this.open)} aria-controls="panel" @click=${() => this.toggle()}>
        ${BELL}<span class="sr">${label}</span> <span part="launcher-count">${count}</span>
      </button>
      <div id="panel" part="panel" role="dialog" aria-label=${label} tabindex="-1" ?hidden=${!this.open}>${content}</div>`;
  }
}

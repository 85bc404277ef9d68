// The demo's second page (/?page=launcher): a product page with the stream behind a
// launcher button (mode="launcher"), as an app would put a bell in its corner. A button
// sends a sample card so the count and the panel change live.
import { html, type TemplateResult } from 'lit';
import { api, errorText } from './api.js';

const SAMPLES: Record<string, Record<string, string>> = { Welcome: { name: 'Ada' }, 'Order update': { order: '1234' } };

export class LauncherPage {
  note = '';

  constructor(
    private readonly userId: string,
    private readonly theme: string,
    private readonly update: () => void,
  ) {}

  /** Sends one of the sample templates to this page's user through the Cards API. */
  async send(name: string): Promise<void> {
    const templates = (await api<{ data: { id: string; name: string }[] }>('GET', '/v1/card-templates')).body.data ?? [];
    const template = templates.find((t) => t.name === name);
    if (!template) {
      this.note = `The sample template "${name}" is missing.`;
      return this.update();
    }
    const sent = await api('POST', `/v1/action-flows/${template.id}/start`, {
      flows: [{ target: { type: 'user', targetUserIds: [this.userId] }, payload: { variables: SAMPLES[name] } }],
    });
    this.note = sent.status === 201 ? `Sent "${name}": the launcher's count goes up.` : errorText(sent);
    this.update();
  }

  render(back: string): TemplateResult {
    return html`
      <header class="top">
        <h1>Acme <span>orders</span></h1>
        <p class="lede">A product page with card-stream in <code>mode="launcher"</code>: the button in the corner shows
          <strong>${this.userId}</strong>'s cards and opens them in a panel.</p>
        <a href=${back}>Back to the demo</a>
      </header>
      <main class="page">
        <section class="stream-panel">
          <h2>Try it</h2>
          <p>Send a card; it arrives live. Open the launcher with the button or the keyboard (Tab, then Enter);
            Escape, a click outside or the button close it.</p>
          <div class="row">
            ${Object.keys(SAMPLES).map((name) => html`<button type="button" data-send=${name} @click=${() => this.send(name)}>Send "${name}"</button>`)}
          </div>
          <p class="note" aria-live="polite">${this.note}</p>
        </section>
      </main>
      <card-stream mode="launcher" stream="default" theme=${this.theme}></card-stream>
    `;
  }
}

// The analytics debugger: the picked user's events, SDK and platform, as they arrive
// (GET /v1/analytics/events with a cursor, every second), filterable by name, each
// expandable to its full JSON.
import { html } from 'lit';
import { api, errorText } from './api.js';
import type { AnalyticsEvent } from '../../packages/protocol/src/analytics.js';

export class Debugger {
  events: AnalyticsEvent[] = [];
  filter = '';
  error = '';
  /** Where the last, partly filled page starts: each poll reads it again for new events. */
  private cursor: string | null = null;
  private readonly seen = new Set<string>();

  constructor(
    private readonly userId: string,
    private readonly update: () => void,
  ) {}

  async refresh(): Promise<void> {
    for (let page = 0; page < 10; page++) {
      const query = new URLSearchParams({ endUserId: this.userId, limit: '1000' });
      if (this.cursor) query.set('cursor', this.cursor);
      const res = await api<{ data: AnalyticsEvent[]; nextCursor: string | null }>('GET', `/v1/analytics/events?${query}`);
      if (res.status !== 200) {
        this.error = errorText(res);
        break;
      }
      this.error = '';
      for (const event of res.body.data) {
        if (this.seen.has(event.id)) continue;
        this.seen.add(event.id);
        this.events.push(event);
      }
      if (!res.body.nextCursor) break;
      this.cursor = res.body.nextCursor;
    }
    this.update();
  }

  render() {
    const shown = this.events.filter((e) => e.analyticsEvent.includes(this.filter.trim())).reverse();
    return html`
      <label class="filter">Filter by name <input name="filter" placeholder="card-" .value=${this.filter}
        @input=${(e: Event) => ((this.filter = (e.target as HTMLInputElement).value), this.update())}></label>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ''}
      <p class="count">${shown.length} of ${this.events.length} events</p>
      <ol class="events">
        ${shown.map(
          (event) => html`<li>
            <details data-event=${event.analyticsEvent}>
              <summary><span class="name">${event.analyticsEvent}</span>
                <span class="source">${event.eventContext?.actionSource ?? ''}</span>
                <time>${new Date(event.timestamp).toLocaleTimeString()}</time></summary>
              <pre>${JSON.stringify(event, null, 2)}</pre>
            </details>
          </li>`,
        )}
      </ol>
    `;
  }
}

// Per-template insights (GET /v1/analytics/insights) as a bar chart: how many cards were
// sent, displayed, completed, dismissed, snoozed and voted on, with the rates.
import { html, svg } from 'lit';
import type { TemplateInsights as Insights } from '../../packages/protocol/src/analytics.js';
import { api, errorText } from './api.js';


const BARS = ['sent', 'displayed', 'completed', 'dismissed', 'snoozed', 'votedUp', 'votedDown'] as const;
const LABELS: Record<(typeof BARS)[number], string> = {
  sent: 'Sent',
  displayed: 'Displayed',
  completed: 'Completed',
  dismissed: 'Dismissed',
  snoozed: 'Snoozed',
  votedUp: 'Voted up',
  votedDown: 'Voted down',
};
const percent = (rate: number) => `${Math.round(rate * 100)}%`;

export class InsightsChart {
  rows: Insights[] = [];
  names = new Map<string, string>();
  error = '';

  constructor(private readonly update: () => void) {}

  async refresh(): Promise<void> {
    const [insights, templates] = await Promise.all([
      api<{ data: Insights[] }>('GET', '/v1/analytics/insights'),
      api<{ data: { id: string; name: string }[] }>('GET', '/v1/card-templates'),
    ]);
    this.error = insights.status === 200 ? '' : errorText(insights);
    this.rows = insights.body.data ?? [];
    this.names = new Map((templates.body.data ?? []).map((t) => [t.id, t.name]));
    this.update();
  }

  private chart(row: Insights) {
    const max = Math.max(1, ...BARS.map((b) => row[b]));
    const width = 360;
    const barHeight = 18;
    return svg`<svg class="chart" viewBox="0 0 ${width + 130} ${BARS.length * (barHeight + 6)}" role="img"
      aria-label=${`${this.names.get(row.cardTemplateId) ?? row.cardTemplateId}: ${BARS.map((b) => `${LABELS[b]} ${row[b]}`).join(', ')}`}>
      ${BARS.map((bar, i) => {
        const y = i * (barHeight + 6);
        const w = Math.max(2, (row[bar] / max) * width);
        return svg`<text x="0" y=${y + 13} class="label">${LABELS[bar]}</text>
          <rect x="90" y=${y} width=${w} height=${barHeight} rx="4" class=${`bar bar-${bar}`}></rect>
          <text x=${96 + w} y=${y + 13} class="value">${row[bar]}</text>`;
      })}
    </svg>`;
  }

  render() {
    if (this.error) return html`<p class="error" role="alert">${this.error}</p>`;
    if (this.rows.length === 0) return html`<p class="empty">No events yet: send a card and act on it.</p>`;
    return html`<div class="insights">
      ${this.rows.map(
        (row) => html`<section class="insight" data-template-id=${row.cardTemplateId}>
          <h3>${this.names.get(row.cardTemplateId) ?? row.cardTemplateId}</h3>
          <p class="rates">Displayed ${percent(row.displayRate)} · Completed ${percent(row.completionRate)} · Dismissed ${percent(row.dismissRate)}</p>
          ${this.chart(row)}
        </section>`,
      )}
    </div>`;
  }
}

// The picked user's cards with their lifecycle status, refreshed every second, with the
// Cards API's dismiss / complete / cancel on each open card.
import { html } from 'lit';
import { api, errorText } from './api.js';
import type { Card, OpenState } from '../../packages/protocol/src/cards.js';

const OPEN = new Set<string>(['active', 'embargoed', 'snoozed'] satisfies OpenState[]);

export class CardsTable {
  cards: Card[] = [];
  error = '';

  constructor(
    private readonly userId: string,
    private readonly update: () => void,
  ) {}

  async refresh(): Promise<void> {
    const res = await api<{ data: Card[] }>('GET', `/v1/cards?userId=${encodeURIComponent(this.userId)}&limit=1000`);
    if (res.status !== 200) {
      this.error = errorText(res);
    } else {
      this.error = '';
      this.cards = res.body.data.reverse();
    }
    this.update();
  }

  private async act(action: string, card: Card): Promise<void> {
    const res = await api('PUT', `/v1/cards/${action}?cardInstanceId=${card.cardInstanceId}`);
    this.error = res.status === 200 ? '' : errorText(res);
    await this.refresh();
  }

  render() {
    if (this.cards.length === 0) return html`<p class="empty">No cards for ${this.userId} yet: send one from the composer.</p>`;
    return html`
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ''}
      <table class="cards">
        <thead><tr><th>Sent</th><th>Template</th><th>Priority</th><th>Status</th><th>Cards API</th></tr></thead>
        <tbody>
          ${this.cards.map(
            (card) => html`<tr data-card-id=${card.cardInstanceId}>
              <td>${new Date(card.created).toLocaleTimeString()}</td>
              <td>${card.cardTemplateName}</td>
              <td>${card.priority}</td>
              <td><span class="status status-${card.status}" data-status=${card.status}>${card.status}</span></td>
              <td class="actions">
                ${OPEN.has(card.status)
                  ? html`${card.status !== 'embargoed'
                        ? html`<button data-action="dismiss" @click=${() => this.act('dismiss', card)}>Dismiss</button>
                            <button data-action="complete" @click=${() => this.act('complete', card)}>Complete</button>`
                        : ''}
                      <button data-action="cancel" @click=${() => this.act('cancel', card)}>Cancel</button>`
                  : '—'}
              </td>
            </tr>`,
          )}
        </tbody>
      </table>
    `;
  }
}

// The cancel-cards tool (seed 002): criteria, "Review" with the count, "Cancel now",
// progress, and the finished summary with who asked.
import { html } from 'lit';
import { api, errorText } from './api.js';
import type { CancelJob as Job } from '../../packages/protocol/src/cancel-jobs.js';

const FIELDS = ['cardTemplateId', 'userId', 'eventName', 'flowInvocationId', 'status'] as const;

export class CancelTool {
  criteria: Record<string, string> = {};
  templates: { id: string; name: string }[] = [];
  matched: number | undefined;
  job: Job | undefined;
  error = '';

  constructor(private readonly update: () => void) {}

  private chosen(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.criteria).filter(([, v]) => v.trim()));
  }

  async review(): Promise<void> {
    const res = await api<{ matched: number }>('POST', '/v1/cancel-jobs/preview', { criteria: this.chosen() });
    this.error = res.status === 200 ? '' : errorText(res);
    this.matched = res.status === 200 ? res.body.matched : undefined;
    this.update();
  }

  async cancelNow(): Promise<void> {
    const res = await api<{ id: string; statusUrl: string }>('POST', '/v1/cancel-jobs', { criteria: this.chosen() });
    if (res.status !== 202) {
      this.error = errorText(res);
      return this.update();
    }
    this.matched = undefined;
    for (;;) {
      const status = await api<Job>('GET', res.body.statusUrl);
      this.job = status.body;
      this.update();
      if (status.body.status === 'completed' || status.body.status === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  render() {
    const set = (field: string) => (e: Event) => {
      this.criteria = { ...this.criteria, [field]: (e.target as HTMLInputElement).value };
      this.matched = undefined;
      this.update();
    };
    const job = this.job;
    return html`
      <form class="cancel" @submit=${(e: Event) => (e.preventDefault(), void this.review())}>
        <p>Cards must match every criterion. Only open cards (active, embargoed, snoozed) are cancelled.</p>
        <label>Template
          <select name="cardTemplateId" @change=${set('cardTemplateId')}>
            <option value="">any</option>
            ${this.templates.map((t) => html`<option value=${t.id}>${t.name}</option>`)}
          </select></label>
        ${FIELDS.filter((f) => f !== 'cardTemplateId' && f !== 'status').map(
          (field) => html`<label>${field} <input name=${field} .value=${this.criteria[field] ?? ''} @change=${set(field)}></label>`,
        )}
        <label>Status
          <select name="status" @change=${set('status')}>
            <option value="">any open</option><option>active</option><option>embargoed</option><option>snoozed</option>
          </select></label>
        <button type="submit">Review before cancelling</button>
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ''}
        ${this.matched !== undefined
          ? html`<p class="review"><strong>${this.matched}</strong> cards match and will be cancelled.
              <button type="button" class="danger" ?disabled=${this.matched === 0} @click=${() => void this.cancelNow()}>Cancel cards now</button></p>`
          : ''}
      </form>
      ${job
        ? html`<section class="job" aria-live="polite">
            <h3>${job.status === 'completed' ? 'Cancellation finished' : job.status === 'failed' ? 'Cancellation failed' : 'Cancellation in progress'}</h3>
            <progress max=${Math.max(job.matched, 1)} value=${job.cancelled}></progress>
            <dl>
              <dt>Criteria</dt><dd>${Object.entries(job.criteria).map(([k, v]) => `${k} = ${v}`).join(', ')}</dd>
              <dt>Cancelled</dt><dd class="cancelled">${job.cancelled} of ${job.matched}</dd>
              <dt>Requested by</dt><dd>${job.requestedBy}</dd>
              ${job.finished ? html`<dt>Finished</dt><dd>${new Date(job.finished).toLocaleTimeString()}</dd>` : ''}
            </dl>
          </section>`
        : ''}
    `;
  }
}

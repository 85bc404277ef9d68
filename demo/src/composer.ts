// The composer: send a test card from a template, or from blocks built here, to the picked
// user, a list of users, a tag, a segment or everyone — the demo's version of Atomic's
// Workbench test sends. A send to an audience runs as a send job; its progress shows here.
import { html } from 'lit';
import { api, errorText } from './api.js';
import type { Template } from '../../packages/protocol/src/templates.js';
import type { Segment, SendJob } from '../../packages/protocol/src/audiences.js';

const AUDIENCES = { users: 'Users', tag: 'A tag', segment: 'A segment', all: 'Everyone with a profile' } as const;
type Audience = keyof typeof AUDIENCES;

const BLOCK_SAMPLES: Record<string, unknown> = {
  headline: { type: 'headline', content: 'A headline for {{name}}' },
  text: { type: 'text', content: 'Some **bold** and *italic* text with a [link](https://example.com).', format: 'markdown' },
  badge: { type: 'badge', label: 'New', variant: 'success' },
  kv: { type: 'kv', rows: [{ key: 'Plan', value: 'Pro' }, { key: 'Renews', value: '!{renewal}' }] },
  image: { type: 'image', url: `${location.origin}/assets/sample.svg`, alt: 'A sample picture', height: 'short' },
  input: { type: 'input', name: 'answer', kind: 'text', label: 'Your answer', required: true },
  buttons: { type: 'button', buttons: [{ id: 'ok', label: 'Submit', style: 'primary', action: { type: 'submit' } }, { id: 'docs', label: 'Docs', action: { type: 'link', url: 'https://example.com/docs' } }] },
};

// Sample values for the sample templates' {{placeholders}}; any other name gets "example".
const SAMPLE_VALUES: Record<string, string> = { name: 'Ada', order: '1234' };

/** The names of the `{{name}}` placeholders in a definition, in order of first use. */
function placeholders(definition: unknown): string[] {
  return [...new Set([...JSON.stringify(definition).matchAll(/\{\{\s*([\w.-]+)\s*\}\}/g)].map((m) => m[1] as string))];
}

const lines = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .map((line) => line.split('='))
      .filter((parts) => parts.length >= 2 && (parts[0] ?? '').trim())
      .map(([k, ...v]) => [(k ?? '').trim(), v.join('=').trim()]),
  );

export class Composer {
  templates: Template[] = [];
  mode: 'template' | 'blocks' = 'template';
  templateId = '';
  blocks: unknown[] = [BLOCK_SAMPLES.headline, BLOCK_SAMPLES.text];
  status = 'default';
  variables = 'name=Ada';
  runtimeDefaults = 'renewal=next month';
  priority = '';
  embargo = '';
  expiresInterval = '';
  targets = '';
  audience: Audience = 'users';
  tag = '';
  segmentId = '';
  segments: Segment[] = [];
  job: SendJob | undefined;
  result = '';
  sending = false;

  constructor(
    private readonly userId: string,
    private readonly update: () => void,
  ) {}

  async load(): Promise<void> {
    const res = await api<{ data: Template[] }>('GET', '/v1/card-templates');
    this.templates = res.body.data ?? [];
    this.pickTemplate(this.templateId || (this.templates[0]?.id ?? ''));
    await this.loadSegments();
  }

  async loadSegments(): Promise<void> {
    const res = await api<{ data: Segment[] }>('GET', '/v1/segments');
    this.segments = res.body.data ?? [];
    if (!this.segments.some((s) => s.id === this.segmentId)) this.segmentId = this.segments[0]?.id ?? '';
    this.update();
  }

  /** The flow's target for the audience picked. */
  private target(): Record<string, unknown> {
    switch (this.audience) {
      case 'users':
        return { type: 'user', targetUserIds: this.targets.trim() ? this.targets.split(',').map((u) => u.trim()).filter(Boolean) : [this.userId] };
      case 'tag':
        return { type: 'tag', tags: [this.tag.trim()] };
      case 'segment':
        return { type: 'segment', segmentId: this.segmentId };
      case 'all':
        return { type: 'all' };
    }
  }

  /** Follows a send job until it ends. */
  private async follow(statusUrl: string): Promise<void> {
    for (;;) {
      const status = await api<SendJob>('GET', statusUrl);
      if (status.status !== 200) {
        this.result = errorText(status);
        return this.update();
      }
      this.job = status.body;
      this.update();
      if (status.body.status === 'completed' || status.body.status === 'failed') return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Picks the template to send and prefills its variables. */
  pickTemplate(id: string): void {
    this.templateId = id;
    const template = this.templates.find((t) => t.id === id);
    if (template && this.mode === 'template') this.prefill(template.definition);
    this.update();
  }

  /**
   * One `name=value` line for each placeholder of the card about to be sent: a value
   * already typed for that name stays, the others get a sample. Names the card does not
   * use go, so a send never carries another template's variables (nor misses its own).
   */
  private prefill(definition: unknown): void {
    const typed = lines(this.variables);
    this.variables = placeholders(definition)
      .map((name) => `${name}=${typed[name] ?? SAMPLE_VALUES[name] ?? 'example'}`)
      .join('\n');
  }

  private setMode(mode: 'template' | 'blocks'): void {
    this.mode = mode;
    if (mode === 'blocks') this.prefill(this.blocks);
    this.pickTemplate(this.templateId);
  }

  private setBlocks(blocks: unknown[]): void {
    this.blocks = blocks;
    this.prefill(blocks);
    this.update();
  }

  private async templateToSend(): Promise<string> {
    if (this.mode === 'template') return this.templateId;
    const runtimeVariables = Object.entries(lines(this.runtimeDefaults)).map(([name, defaultValue]) => ({ name, defaultValue }));
    const created = await api<{ id: string }>('POST', '/v1/card-templates', {
      name: `Composed ${new Date().toLocaleTimeString()}`,
      definition: { status: this.status, blocks: this.blocks },
      runtimeVariables,
    });
    if (created.status !== 201) throw new Error(errorText(created));
    return created.body.id;
  }

  async send(): Promise<void> {
    this.sending = true;
    this.update();
    try {
      const templateId = await this.templateToSend();
      const cardOptions: Record<string, unknown> = {};
      if (this.priority) cardOptions.priority = Number(this.priority);
      if (this.embargo) cardOptions.embargo = new Date(this.embargo).toISOString();
      if (this.expiresInterval) cardOptions.expiresInterval = this.expiresInterval;
      this.job = undefined;
      const sent = await api('POST', `/v1/action-flows/${templateId}/test`, {
        flows: [{ target: this.target(), payload: { variables: lines(this.variables), cardOptions } }],
      });
      this.result = sent.status === 201 || sent.status === 202 ? JSON.stringify(sent.body, null, 2) : errorText(sent);
      if (sent.status === 202) await this.follow(sent.body.statusUrl);
    } catch (err) {
      this.result = err instanceof Error ? err.message : String(err);
    } finally {
      this.sending = false;
      this.update();
    }
  }

  render() {
    const set = (field: keyof this) => (e: Event) => {
      (this as Record<string, unknown>)[field as string] = (e.target as HTMLInputElement).value;
      this.update();
    };
    return html`
      <form class="composer" @submit=${(e: Event) => (e.preventDefault(), void this.send())}>
        <fieldset class="mode">
          <legend>Card</legend>
          <label><input type="radio" name="mode" .checked=${this.mode === 'template'} @change=${() => this.setMode('template')}> From a template</label>
          <label><input type="radio" name="mode" .checked=${this.mode === 'blocks'} @change=${() => this.setMode('blocks')}> Build blocks</label>
        </fieldset>
        ${this.mode === 'template'
          ? html`<label>Template
              <select name="template" @change=${(e: Event) => this.pickTemplate((e.target as HTMLSelectElement).value)}>
                ${this.templates.map((t) => html`<option value=${t.id} ?selected=${t.id === this.templateId}>${t.name}</option>`)}
              </select></label>`
          : html`<div class="blocks">
              <div class="add">Add: ${Object.keys(BLOCK_SAMPLES).map(
                (kind) => html`<button type="button" data-add=${kind} @click=${() => this.setBlocks([...this.blocks, BLOCK_SAMPLES[kind]])}>${kind}</button>`,
              )}</div>
              <label>Blocks (JSON)
                <textarea name="blocks" rows="8" .value=${JSON.stringify(this.blocks, null, 2)} @change=${(e: Event) => {
                  try {
                    this.setBlocks(JSON.parse((e.target as HTMLTextAreaElement).value) as unknown[]);
                  } catch {
                    this.result = 'The blocks are not valid JSON.';
                    this.update();
                  }
                }}></textarea></label>
              <label>Status tone
                <select name="status" @change=${set('status')}>
                  ${['default', 'success', 'warning', 'error', 'pending'].map((s) => html`<option ?selected=${s === this.status}>${s}</option>`)}
                </select></label>
              <label>Runtime-variable defaults (name=value per line)
                <textarea name="runtime" rows="2" .value=${this.runtimeDefaults} @change=${set('runtimeDefaults')}></textarea></label>
            </div>`}
        <label>Variables for {{name}} placeholders (name=value per line)
          <textarea name="variables" rows="2" .value=${this.variables} @change=${set('variables')}></textarea></label>
        <div class="row">
          <label>Priority <input name="priority" type="number" min="1" max="10" placeholder="5" .value=${this.priority} @change=${set('priority')}></label>
          <label>Expires after <input name="expiresInterval" placeholder="PT10S" .value=${this.expiresInterval} @change=${set('expiresInterval')}></label>
          <label>Embargo until <input name="embargo" type="datetime-local" .value=${this.embargo} @change=${set('embargo')}></label>
        </div>
        <label>Send to
          <select name="audience" @change=${set('audience')}>
            ${(Object.keys(AUDIENCES) as Audience[]).map((a) => html`<option value=${a} ?selected=${a === this.audience}>${AUDIENCES[a]}</option>`)}
          </select></label>
        ${this.audience === 'users'
          ? html`<label>User ids (comma-separated; empty: ${this.userId})
              <input name="targets" .value=${this.targets} @change=${set('targets')}></label>`
          : this.audience === 'tag'
            ? html`<label>Tag <input name="tag" required .value=${this.tag} @change=${set('tag')}></label>`
            : this.audience === 'segment'
              ? html`<label>Segment
                  <select name="segment" required @change=${set('segmentId')}>
                    ${this.segments.map((s) => html`<option value=${s.id} ?selected=${s.id === this.segmentId}>${s.name}</option>`)}
                  </select></label>
                  ${this.segments.length === 0 ? html`<p class="hint">No segments yet: make one in the Users tab.</p>` : ''}`
              : ''}
        <button class="primary" type="submit" ?disabled=${this.sending || (this.mode === 'template' && !this.templateId)}>${this.sending ? 'Sending…' : 'Send test card'}</button>
        ${this.job
          ? html`<section class="job" aria-live="polite">
              <h3>Send job ${this.job.status}</h3>
              <progress max=${Math.max(this.job.matched, 1)} value=${this.job.sent}></progress>
              <p class="sent">${this.job.sent} of ${this.job.matched} members sent</p>
            </section>`
          : ''}
        ${this.result ? html`<pre class="result" aria-live="polite">${this.result}</pre>` : ''}
      </form>
    `;
  }
}

// The users panel (CONTRACT §9): the profiles the platform holds, a form to give one user
// attributes and tags, and the segments with their member counts, with a form that makes a
// segment from one condition. The composer then sends to a tag, a segment or everyone.
import { html } from 'lit';
import { api, errorText } from './api.js';
import { CONDITION_OPS, type Condition, type ConditionOp, type Profile, type Segment } from '../../packages/protocol/src/audiences.js';

/** Text typed into a value field as the attribute value it means: a number, a boolean or text. */
function typedValue(text: string): string | number | boolean {
  const trimmed = text.trim();
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  if (trimmed !== '' && Number.isFinite(Number(trimmed))) return Number(trimmed);
  return text;
}

/** `name=value` lines as attributes, each value typed. */
function attributeLines(text: string): Record<string, string | number | boolean> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => line.split('='))
      .filter((parts) => parts.length >= 2 && (parts[0] ?? '').trim())
      .map(([name, ...value]) => [(name ?? '').trim(), typedValue(value.join('='))]),
  );
}

const NO_VALUE: ConditionOp[] = ['exists', 'notExists'];
const LIST_VALUE: ConditionOp[] = ['in', 'notIn'];

export class UsersPanel {
  profiles: Profile[] = [];
  segments: (Segment & { total?: number })[] = [];
  profile = { userId: '', attributes: 'plan=pro', tags: 'beta' };
  segment = { name: '', kind: 'attribute' as 'attribute' | 'tag', attribute: 'plan', op: 'eq' as ConditionOp, value: 'pro', tag: 'beta' };
  message = '';

  constructor(
    private readonly currentUser: string,
    private readonly update: () => void,
    /** Told when the segments change (the composer lists them). */
    private readonly onSegments: () => void,
  ) {
    this.profile.userId = currentUser;
  }

  async refresh(): Promise<void> {
    const [profiles, segments] = await Promise.all([api<{ data: Profile[] }>('GET', '/v1/users?limit=50'), api<{ data: Segment[] }>('GET', '/v1/segments')]);
    this.profiles = profiles.body.data ?? [];
    const counted = await Promise.all(
      (segments.body.data ?? []).map(async (s) => ({ ...s, total: (await api<{ total: number }>('GET', `/v1/segments/${s.id}/count`)).body.total })),
    );
    this.segments = counted;
    this.update();
  }

  private async saveProfile(): Promise<void> {
    const tags = this.profile.tags.split(',').map((t) => t.trim()).filter(Boolean);
    const res = await api('PUT', `/v1/users/${encodeURIComponent(this.profile.userId.trim())}`, { attributes: attributeLines(this.profile.attributes), tags });
    this.message = res.status === 200 ? `Saved ${res.body.userId}.` : errorText(res);
    await this.refresh();
  }

  private condition(): Condition {
    const s = this.segment;
    if (s.kind === 'tag') return { tag: s.tag.trim() };
    if (NO_VALUE.includes(s.op)) return { attribute: s.attribute.trim(), op: s.op };
    const value = LIST_VALUE.includes(s.op) ? s.value.split(',').map(typedValue) : typedValue(s.value);
    return { attribute: s.attribute.trim(), op: s.op, value };
  }

  private async saveSegment(): Promise<void> {
    const res = await api('POST', '/v1/segments', { name: this.segment.name.trim() || 'Untitled segment', filter: { all: [this.condition()] } });
    this.message = res.status === 201 ? `Made the segment ${res.body.name}.` : errorText(res);
    await this.refresh();
    this.onSegments();
  }

  render() {
    const setProfile = (field: keyof UsersPanel['profile']) => (e: Event) => {
      this.profile = { ...this.profile, [field]: (e.target as HTMLInputElement).value };
    };
    const setSegment = (field: keyof UsersPanel['segment']) => (e: Event) => {
      this.segment = { ...this.segment, [field]: (e.target as HTMLInputElement).value };
      this.update();
    };
    const s = this.segment;
    return html`
      <div class="users">
        <form class="profile" @submit=${(e: Event) => (e.preventDefault(), void this.saveProfile())}>
          <h3>A user's profile</h3>
          <label>User id <input name="userId" required .value=${this.profile.userId} @change=${setProfile('userId')}></label>
          <label>Attributes (name=value per line; numbers and true/false are typed)
            <textarea name="attributes" rows="2" .value=${this.profile.attributes} @change=${setProfile('attributes')}></textarea></label>
          <label>Tags (comma-separated) <input name="tags" .value=${this.profile.tags} @change=${setProfile('tags')}></label>
          <button type="submit">Save profile</button>
        </form>
        <form class="segment" @submit=${(e: Event) => (e.preventDefault(), void this.saveSegment())}>
          <h3>A segment</h3>
          <label>Name <input name="segmentName" .value=${s.name} @change=${setSegment('name')}></label>
          <label>Members
            <select name="kind" @change=${setSegment('kind')}>
              <option value="attribute" ?selected=${s.kind === 'attribute'}>whose attribute…</option>
              <option value="tag" ?selected=${s.kind === 'tag'}>with the tag…</option>
            </select></label>
          ${s.kind === 'tag'
            ? html`<label>Tag <input name="segmentTag" .value=${s.tag} @change=${setSegment('tag')}></label>`
            : html`<div class="row">
                <label>Attribute <input name="attribute" .value=${s.attribute} @change=${setSegment('attribute')}></label>
                <label>Compares <select name="op" @change=${setSegment('op')}>
                  ${CONDITION_OPS.map((op) => html`<option ?selected=${op === s.op}>${op}</option>`)}
                </select></label>
                ${NO_VALUE.includes(s.op)
                  ? ''
                  : html`<label>Value${LIST_VALUE.includes(s.op) ? 's (comma-separated)' : ''} <input name="value" .value=${s.value} @change=${setSegment('value')}></label>`}
              </div>`}
          <button type="submit">Make segment</button>
        </form>
        ${this.message ? html`<p class="result" role="status">${this.message}</p>` : ''}
        <h3>Segments</h3>
        ${this.segments.length === 0
          ? html`<p>None yet.</p>`
          : html`<ul class="segments">${this.segments.map((seg) => html`<li><strong>${seg.name}</strong>: ${seg.total ?? '…'} members</li>`)}</ul>`}
        <h3>Profiles (the first 50)</h3>
        <table class="profiles">
          <thead><tr><th scope="col">User</th><th scope="col">Attributes</th><th scope="col">Tags</th></tr></thead>
          <tbody>
            ${this.profiles.map(
              (p) => html`<tr class=${p.userId === this.currentUser ? 'current' : ''}>
                <td>${p.userId}</td>
                <td>${Object.entries(p.attributes).map(([k, v]) => `${k}=${String(v)}`).join(', ')}</td>
                <td>${p.tags.join(', ')}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
    `;
  }
}

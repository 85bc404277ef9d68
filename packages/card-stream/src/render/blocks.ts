// One renderer per block type of CONTRACT §6, keyed by type: a new block type is one
// entry here. Every value from the card goes through a lit binding (text, attribute or
// a checked URL), never through innerHTML.
import { html, nothing, type TemplateResult } from 'lit';
import type { Block, Button } from '../../../protocol/src/definition.js';
import { markdown, type InlineFill } from './markdown.js';

type BlockOf<T extends Block['type']> = Extract<Block, { type: T }>;
export type ButtonBlock = BlockOf<'button'>;

export interface BlockContext extends InlineFill {
  /** Level of the card's headings (`heading-level` on the stream, 2 unless set). */
  level: number;
  /** The message of an input that failed its check when the card was submitted. */
  error(name: string): string | undefined;
  /** Fills and checks an image or video address (http and https only). */
  media(raw: string): string | undefined;
  /** The card renders buttons: it owns what pressing them does. */
  button(block: ButtonBlock, button: Button): TemplateResult;
  video(event: 'video-played' | 'video-completed'): void;
}

type Renderers = { [T in Block['type']]: (block: BlockOf<T>, ctx: BlockContext) => TemplateResult | typeof nothing };

// One template per level: lit binds values, never tag names.
const HEADINGS = [
  (c: unknown) => html`<h1 class="headline">${c}</h1>`,
  (c: unknown) => html`<h2 class="headline">${c}</h2>`,
  (c: unknown) => html`<h3 class="headline">${c}</h3>`,
  (c: unknown) => html`<h4 class="headline">${c}</h4>`,
  (c: unknown) => html`<h5 class="headline">${c}</h5>`,
  (c: unknown) => html`<h6 class="headline">${c}</h6>`,
];

/** A heading at `level` (1–6; anything else is clamped). */
export const heading = (level: number, content: unknown): TemplateResult =>
  HEADINGS[Math.min(Math.max(Math.trunc(level) || 2, 1), 6) - 1]!(content);

function input(b: BlockOf<'input'>, ctx: BlockContext): TemplateResult {
  const id = `in-${b.id ?? b.name}`;
  const label = ctx.text(b.label);
  const req = b.required === true;
  const error = ctx.error(b.name);
  // An input that failed its check says so and names the message under it.
  const invalid = error ? 'true' : nothing;
  const described = error ? `${id}-error` : nothing;
  const message = error ? html`<p class="error" id=${described}>${error}</p>` : nothing;
  let control: TemplateResult;
  if (b.kind === 'select') {
    control = html`<select id=${id} name=${b.name} ?required=${req} aria-invalid=${invalid} aria-describedby=${described}>
      <option value="">—</option>
      ${(b.options ?? []).map((o) => html`<option value=${o}>${ctx.text(o)}</option>`)}
    </select>`;
  } else if (b.kind === 'checkbox') {
    return html`<label class="check"
        ><input type="checkbox" name=${b.name} ?required=${req} aria-invalid=${invalid} aria-describedby=${described} /> ${label}</label
      >${message}`;
  } else {
    control = html`<input
      id=${id}
      name=${b.name}
      type=${b.kind === 'number' || b.kind === 'date' ? b.kind : 'text'}
      step=${b.kind === 'number' ? 'any' : nothing}
      maxlength=${b.maxLength ?? nothing}
      ?required=${req}
      aria-invalid=${invalid}
      aria-describedby=${described}
    />`;
  }
  return html`<label class="field" for=${id}>${label}</label>${control}${message}`;
}

const RENDERERS: Renderers = {
  headline: (b, ctx) => heading(ctx.level, ctx.text(b.content)),
  text: (b, ctx) =>
    html`<div class="text ${b.size ?? 'md'} ${b.bold ? 'bold' : ''}">
      ${b.format === 'markdown' ? markdown(b.content, ctx) : html`<p>${ctx.text(b.content)}</p>`}
    </div>`,
  badge: (b, ctx) => html`<span class="badge ${b.variant ?? ''}">${ctx.text(b.label)}</span>`,
  kv: (b, ctx) =>
    html`<dl class="kv">
      ${b.rows.map((r) => html`<div><dt>${ctx.text(r.key)}</dt><dd>${ctx.text(r.value)}</dd></div>`)}
    </dl>`,
  image: (b, ctx) => {
    const src = ctx.media(b.url);
    return src ? html`<img class="image ${b.height ?? 'medium'}" src=${src} alt=${ctx.text(b.alt)} loading="lazy" />` : nothing;
  },
  video: (b, ctx) => {
    const src = ctx.media(b.url);
    const poster = b.poster ? ctx.media(b.poster) : undefined;
    return src
      ? html`<video
          class="video"
          src=${src}
          poster=${poster ?? nothing}
          controls
          preload="metadata"
          @play=${() => ctx.video('video-played')}
          @ended=${() => ctx.video('video-completed')}
        ></video>`
      : nothing;
  },
  divider: () => html`<hr class="divider" />`,
  input,
  button: (b, ctx) => html`<div class="buttons">${b.buttons.map((button) => ctx.button(b, button))}</div>`,
};

export function renderBlock(block: Block, ctx: BlockContext): TemplateResult | typeof nothing {
  const render = RENDERERS[block.type] as ((b: Block, c: BlockContext) => TemplateResult | typeof nothing) | undefined;
  return render ? render(block, ctx) : nothing;
}

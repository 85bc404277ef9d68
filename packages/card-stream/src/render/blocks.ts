// One renderer per block type of CONTRACT §6, keyed by type: a new block type is one
// entry here. Every value from the card goes through a lit binding (text, attribute or
// a checked URL), never through innerHTML.
import { html, nothing, type TemplateResult } from 'lit';
import type { Block, Button } from '../../../protocol/src/definition.js';
import { markdown, type InlineFill } from './markdown.js';

type BlockOf<T extends Block['type']> = Extract<Block, { type: T }>;
export type ButtonBlock = BlockOf<'button'>;

export interface BlockContext extends InlineFill {
  /** Fills and checks an image or video address (http and https only). */
  media(raw: string): string | undefined;
  /** The card renders buttons: it owns what pressing them does. */
  button(block: ButtonBlock, button: Button): TemplateResult;
  video(event: 'video-played' | 'video-completed'): void;
}

type Renderers = { [T in Block['type']]: (block: BlockOf<T>, ctx: BlockContext) => TemplateResult | typeof nothing };

function input(b: BlockOf<'input'>, ctx: BlockContext): TemplateResult {
  const id = `in-${b.id ?? b.name}`;
  const label = ctx.text(b.label);
  const req = b.required === true;
  let control: TemplateResult;
  if (b.kind === 'select') {
    control = html`<select id=${id} name=${b.name} ?required=${req}>
      <option value="">—</option>
      ${(b.options ?? []).map((o) => html`<option value=${o}>${ctx.text(o)}</option>`)}
    </select>`;
  } else if (b.kind === 'checkbox') {
    return html`<label class="check"><input type="checkbox" name=${b.name} ?required=${req} /> ${label}</label>`;
  } else {
    control = html`<input
      id=${id}
      name=${b.name}
      type=${b.kind === 'number' || b.kind === 'date' ? b.kind : 'text'}
      step=${b.kind === 'number' ? 'any' : nothing}
      maxlength=${b.maxLength ?? nothing}
      ?required=${req}
    />`;
  }
  return html`<label class="field" for=${id}>${label}</label>${control}`;
}

const RENDERERS: Renderers = {
  headline: (b, ctx) => html`<h3 class="headline">${ctx.text(b.content)}</h3>`,
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

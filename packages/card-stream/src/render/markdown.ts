// The markdown of text blocks (CONTRACT §6): **bold**, *italic* / _italic_, [links](url)
// and lists, straight to lit templates. Anything else stays literal text, so no input
// can produce markup. `!{name}` is filled after parsing: a value cannot become syntax.
import { html, nothing, type TemplateResult } from 'lit';

export interface InlineFill {
  /** Fills runtime variables in a text run. */
  text(raw: string): string;
  /** Fills (URL-encoded) and checks a link target; undefined when it is not allowed. */
  link(raw: string): string | undefined;
}

type Inline = Array<string | TemplateResult>;

const INLINE = /\*\*(.+?)\*\*|\*(.+?)\*|(?<!\w)_(.+?)_(?!\w)|\[([^\]]+)\]\(([^)\s]+)\)/s;
const ITEM = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/;

export function inline(src: string, fill: InlineFill): Inline {
  const out: Inline = [];
  let rest = src;
  for (let m = INLINE.exec(rest); m; m = INLINE.exec(rest)) {
    if (m.index) out.push(fill.text(rest.slice(0, m.index)));
    const [, bold, star, under, label, target] = m;
    if (bold !== undefined) out.push(html`<strong>${inline(bold, fill)}</strong>`);
    else if (star !== undefined || under !== undefined) out.push(html`<em>${inline(star ?? under ?? '', fill)}</em>`);
    else {
      const href = fill.link(target ?? '');
      const inner = inline(label ?? '', fill);
      out.push(href ? html`<a href=${href} target="_blank" rel="noopener noreferrer">${inner}</a>` : html`${inner}`);
    }
    rest = rest.slice(m.index + m[0].length);
  }
  if (rest) out.push(fill.text(rest));
  return out;
}

/** Paragraphs (blank-line separated, single newlines kept as breaks) and lists. */
export function markdown(src: string, fill: InlineFill): TemplateResult[] {
  const out: TemplateResult[] = [];
  let para: string[] = [];
  let list: { ordered: boolean; items: string[] } | undefined;
  const endPara = () => {
    if (para.length) out.push(html`<p>${para.map((line, i) => html`${i ? html`<br />` : nothing}${inline(line, fill)}`)}</p>`);
    para = [];
  };
  const endList = () => {
    if (!list) return;
    const items = list.items.map((item) => html`<li>${inline(item, fill)}</li>`);
    out.push(list.ordered ? html`<ol>${items}</ol>` : html`<ul>${items}</ul>`);
    list = undefined;
  };
  for (const line of src.split(/\r?\n/)) {
    const item = ITEM.exec(line);
    if (item) {
      endPara();
      const ordered = item[2] !== undefined;
      if (list && list.ordered !== ordered) endList();
      (list ??= { ordered, items: [] }).items.push(item[3] ?? '');
    } else if (!line.trim()) {
      endPara();
      endList();
    } else {
      endList();
      para.push(line.trim());
    }
  }
  endPara();
  endList();
  return out;
}

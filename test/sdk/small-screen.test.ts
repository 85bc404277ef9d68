// A 360 px wide phone screen: every block and control of every card fits its card, labels
// and fields do not collide, controls are big enough to press (24 px, WCAG 2.5.8), and the
// ⋯ menu button never covers an image, a video or an open menu or picker; in both
// directions and in each mode that lays cards out differently.
import { expect } from '@open-wc/testing';
import { setViewport } from '@web/test-runner-commands';
import { defineElements } from '../../packages/card-stream/src/index.js';
import { FULL_CARD, IMAGE_FIRST, VIDEO_FIRST } from './support/cards.js';
import { inCard, menu, mount, showsExactly, type Mounted } from './support/mount.js';
import { sdkApiAvailable, sendCard, uniqueUser, until } from './support/platform.js';

const WIDTH = 360;

function overlap(a: DOMRect, b: DOMRect): number {
  const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
  const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
  return w > 0 && h > 0 ? w * h : 0;
}

const name = (el: Element) => `${el.tagName.toLowerCase()}${el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : ''}${el.getAttribute('data-button-id') ? `#${el.getAttribute('data-button-id')}` : ''}`;

/** What is wrong with one card's layout; empty when nothing is. */
function problems(card: HTMLElement & { shadowRoot: ShadowRoot }): string[] {
  const root = card.shadowRoot;
  const box = card.getBoundingClientRect();
  const found: string[] = [];
  const controls = [...root.querySelectorAll<HTMLElement>('button, input, select, textarea')];
  for (const el of controls) {
    const r = el.getBoundingClientRect();
    if (r.left < box.left - 0.5 || r.right > box.right + 0.5) found.push(`${name(el)} sticks out of its card (${r.left}–${r.right} of ${box.left}–${box.right})`);
    const small = el.matches('[type="checkbox"]') ? 13 : 24;
    if (r.height < small || r.width < small) found.push(`${name(el)} is ${r.width}×${r.height}`);
  }
  // Each input block stands on lines of its own: its label below the block before it, its
  // field below its label (a checkbox sits inside its label).
  let above = -Infinity;
  for (const label of root.querySelectorAll<HTMLLabelElement>('label.field, label.check')) {
    const field = label.control!;
    const [l, f] = [label.getBoundingClientRect(), field.getBoundingClientRect()];
    if (l.top < above - 0.5) found.push(`the label of ${name(field)} shares a line with the field before it`);
    if (label.contains(field)) above = l.bottom;
    else {
      if (overlap(l, f) > 0 || f.top < l.bottom - 0.5) found.push(`the label of ${name(field)} collides with it`);
      above = f.bottom;
    }
  }
  for (const [i, a] of controls.entries()) {
    for (const b of controls.slice(i + 1)) if (overlap(a.getBoundingClientRect(), b.getBoundingClientRect()) > 0) found.push(`${name(a)} and ${name(b)} collide`);
  }
  const button = root.querySelector('[part~="menu-button"]');
  if (button) {
    for (const el of root.querySelectorAll('img, video, .panel')) {
      if (overlap(button.getBoundingClientRect(), el.getBoundingClientRect()) > 0) found.push(`the menu button covers ${el.tagName.toLowerCase()}.${el.className}`);
    }
  }
  return found;
}

describe(`small screens (${WIDTH} px)`, function () {
  const mounted: Mounted[] = [];
  const ids: string[] = [];
  let user = '';
  let page: HTMLElement | undefined;
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
    defineElements();
    user = uniqueUser('small');
    for (const d of [IMAGE_FIRST, VIDEO_FIRST, FULL_CARD]) ids.push(await sendCard(user, d));
  });
  beforeEach(() => setViewport({ width: WIDTH, height: 800 }));
  afterEach(async () => {
    mounted.splice(0).forEach((m) => m.remove());
    page?.remove();
    await setViewport({ width: 800, height: 600 });
  });

  for (const dir of ['ltr', 'rtl']) {
    for (const mode of ['stream', 'horizontal'] as const) {
      it(`${mode}, ${dir}: every block and control fits and is free, with each panel open too`, async () => {
        page = document.createElement('div');
        page.dir = dir;
        page.style.cssText = 'margin: -8px; padding: 8px;';
        document.body.append(page);
        const m = await mount(user, { mode, parent: page });
        mounted.push(m);
        await until(() => m.ids().length === 3, 'three cards');
        const found: string[] = [];
        const check = async (when: string) => {
          await new Promise((r) => requestAnimationFrame(r));
          for (const id of m.ids()) {
            const card = m.card(id);
            // A horizontal row scrolls: judge each card where it comes to rest.
            if (mode === 'horizontal') card.scrollIntoView({ block: 'nearest', inline: 'start', behavior: 'instant' });
            const r = card.getBoundingClientRect();
            if (r.width > WIDTH || r.left < -0.5 || r.right > WIDTH + 0.5) found.push(`${when}: card ${id} is ${r.left}–${r.right}`);
            found.push(...problems(card).map((p) => `${when}: ${p}`));
          }
        };
        await check('closed');
        const full = ids[2]!;
        for (const action of ['snooze', 'vote-down'] as const) {
          inCard(m, full, '[part~="menu-button"]').click();
          await until(() => m.card(full).shadowRoot.querySelector('[role="menu"]'), 'menu');
          await check('menu open');
          inCard(m, full, '[part~="menu-button"]').click();
          await menu(m, full, action);
          await until(() => m.card(full).shadowRoot.querySelector('.cancel'), action);
          await check(`${action} open`);
          inCard(m, full, '.cancel').click();
        }
        inCard(m, full, '[data-button-id="send"]').click();
        await until(() => m.card(full).shadowRoot.querySelector('.error'), 'input errors');
        await check('input errors');
        if (mode === 'horizontal') {
          for (const part of ['scroll-prev', 'scroll-next']) {
            const r = m.el.shadowRoot!.querySelector(`[part~="${part}"]`)!.getBoundingClientRect();
            if (r.left < 0 || r.right > WIDTH || r.width < 24 || r.height < 24) found.push(`${part} at ${r.left}–${r.right}, ${r.width}×${r.height}`);
          }
        }
        expect(found).to.deep.equal([]);
        await showsExactly(m, m.ids());
      });
    }
  }
});

// mode="single" says where the reader is ("1 of N"); mode="horizontal" has previous/next
// buttons and snaps to cards (CONTRACT §8a), against the real platform.
import { expect } from '@open-wc/testing';
import { emulateMedia } from '@web/test-runner-commands';
import { defineElements } from '../../packages/card-stream/src/index.js';
import { headline } from './support/cards.js';
import { mount, showsExactly, type Mounted } from './support/mount.js';
import { api, sdkApiAvailable, sendCard, uniqueUser, until } from './support/platform.js';

describe('single and horizontal modes', function () {
  const mounted: Mounted[] = [];
  let box: HTMLElement | undefined;
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
    defineElements();
  });
  afterEach(async () => {
    mounted.splice(0).forEach((m) => m.remove());
    box?.remove();
    await emulateMedia({ reducedMotion: 'no-preference' });
  });

  async function setup(label: string, mode: 'single' | 'horizontal', cards: number) {
    const user = uniqueUser(label);
    const ids: string[] = [];
    for (let i = 0; i < cards; i++) ids.push(await sendCard(user, headline(`Card ${i}`, i + 1)));
    box = document.createElement('div');
    box.style.width = '500px';
    document.body.append(box);
    const m = await mount(user, { mode, parent: box });
    mounted.push(m);
    return { user, ids, m, root: m.el.shadowRoot! };
  }

  it('single: one card and its position, "1 of N", N the stream\'s total as it changes', async () => {
    const { ids, m, root } = await setup('single', 'single', 3);
    await showsExactly(m, [ids[0]!]);
    const position = () => root.querySelector('[part~="position"]')?.textContent?.trim();
    await until(() => position() === '1 of 3', '1 of 3');
    expect((await api('PUT', `/v1/cards/dismiss?cardInstanceId=${ids[2]}`)).status).to.equal(200);
    await until(() => position() === '1 of 2', '1 of 2 after a dismiss elsewhere');
    m.el.strings = { position: '{0} / {1}' };
    await until(() => position() === '1 / 2', 'the words are a string like any other');
    // One card on screen: it is seen, the other waits unseen.
    await until(() => m.counts.at(-1)?.unseen === 1, 'one unseen');
    expect(m.counts.at(-1)).to.deep.equal({ visible: 1, total: 2, unseen: 1 });
  });

  it('single: no position on an empty stream; stream mode shows none', async () => {
    const { m, root } = await setup('single-empty', 'single', 0);
    await until(() => root.querySelector('[part~="empty"]'), 'empty');
    expect(root.querySelector('[part~="position"]')).to.equal(null);
    m.el.mode = 'stream';
    await m.el.updateComplete;
    expect(root.querySelector('[part~="position"]')).to.equal(null);
  });

  it('horizontal: previous/next scroll one card at a time, snap to cards, and say when there is nothing further', async () => {
    const { ids, m, root } = await setup('horizontal', 'horizontal', 4);
    await showsExactly(m, ids);
    const feed = root.querySelector<HTMLElement>('.feed')!;
    const prev = root.querySelector<HTMLButtonElement>('[part~="scroll-prev"]')!;
    const next = root.querySelector<HTMLButtonElement>('[part~="scroll-next"]')!;
    expect([prev.getAttribute('aria-label'), next.getAttribute('aria-label')]).to.deep.equal(['Previous cards', 'Next cards']);
    expect(getComputedStyle(feed).scrollSnapType).to.equal('x mandatory');
    expect(getComputedStyle(m.card(ids[1]!)).scrollSnapAlign).to.equal('start');
    await until(() => prev.getAttribute('aria-disabled') === 'true' && next.getAttribute('aria-disabled') === 'false', 'at the start');

    const offset = (id: string) => m.card(id).offsetLeft - m.card(ids[0]!).offsetLeft;
    next.click();
    await until(() => Math.abs(feed.scrollLeft - offset(ids[1]!)) < 2, 'the second card at the start edge');
    await until(() => prev.getAttribute('aria-disabled') === 'false', 'previous enabled');
    for (let i = 0; i < 4; i++) {
      const before = feed.scrollLeft;
      next.click();
      await until(() => feed.scrollLeft > before || next.getAttribute('aria-disabled') === 'true', 'moved on');
      await new Promise((r) => setTimeout(r, 400));
    }
    await until(() => next.getAttribute('aria-disabled') === 'true', 'at the end, next says so');
    expect(feed.scrollLeft + feed.clientWidth).to.be.at.least(feed.scrollWidth - 1);
    prev.click();
    await until(() => next.getAttribute('aria-disabled') === 'false', 'back from the end');
  });

  it('horizontal: scrolls smoothly, and at once under prefers-reduced-motion', async () => {
    const { ids, m, root } = await setup('horizontal-motion', 'horizontal', 3);
    await showsExactly(m, ids);
    const feed = root.querySelector<HTMLElement>('.feed')!;
    const next = root.querySelector<HTMLButtonElement>('[part~="scroll-next"]')!;
    next.click();
    expect(feed.scrollLeft, 'a smooth scroll has not moved yet').to.equal(0);
    await until(() => feed.scrollLeft > 0, 'it moves');
    feed.scrollTo({ left: 0, behavior: 'instant' });
    await emulateMedia({ reducedMotion: 'reduce' });
    expect(getComputedStyle(feed).scrollBehavior).to.equal('auto');
    next.click();
    expect(feed.scrollLeft, 'moved at once').to.be.above(0);
  });
});

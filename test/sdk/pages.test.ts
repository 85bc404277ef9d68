// Pages and true totals (CONTRACT §8a) in Chromium against the real platform: a stream of
// 5,000 active cards shows a page at a time ("Show more", then pages from the platform past
// the 500 first loaded), and `cs-count.total` and `<card-count>` say 5,000 and stay true
// through sends and dismisses in and beyond the loaded pages.
import { expect } from '@open-wc/testing';
import { CardCountElement, defineElements } from '../../packages/card-stream/src/index.js';
import { mount, type Mounted } from './support/mount.js';
import { api, delegateFor, mintToken, platformUrl, sdkApiAvailable, sendCard, uniqueUser, until } from './support/platform.js';

const STREAM = 5000;

/** The platform's own order of the user's active cards (the feed, one page of 5,000). */
async function truth(user: string): Promise<string[]> {
  const res = await fetch(`${await platformUrl()}/v1/sdk/streams/default/cards?limit=5000`, { headers: { authorization: `Bearer ${await mintToken(user)}` } });
  return ((await res.json()) as { cards: { cardInstanceId: string }[] }).cards.map((c) => c.cardInstanceId);
}

const lastCount = (m: Mounted) => m.counts.at(-1) ?? { visible: 0, total: 0 };
const loadMore = (m: Mounted) => m.el.shadowRoot!.querySelector<HTMLButtonElement>('[part~="load-more"]');

describe('pages and true totals', function () {
  this.timeout(120_000);
  let user: string;
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
    defineElements();
    user = uniqueUser('pages');
    const created = await api('POST', '/v1/card-templates', { name: 'Many', definition: { blocks: [{ type: 'headline', content: 'Card {{n}}' }] } });
    await api('POST', `/v1/card-templates/${created.body.id}/publish`);
    for (let from = 0; from < STREAM; from += 1000) {
      const flows = Array.from({ length: 1000 }, (_, i) => ({
        target: { type: 'user', targetUserIds: [user] },
        payload: { variables: { n: String(from + i) }, cardOptions: { priority: ((from + i) % 9) + 2 } },
      }));
      const res = await api('POST', `/v1/action-flows/${created.body.id}/start`, { flows });
      if (res.status !== 201) throw new Error(`send: ${res.status}`);
    }
  });

  it('5,000 cards: a page of 50 on screen, the total 5,000; "Show more" pages on past the first 500 in the platform\'s order', async () => {
    const started = performance.now();
    const m = await mount(user);
    const count = document.createElement('card-count') as CardCountElement;
    count.apiBase = await platformUrl();
    count.sessionDelegate = delegateFor(user);
    document.body.append(count);
    try {
      await until(() => m.ids().length === 50, 'the first page');
      console.log(`5,000-card stream: first page of 50 on screen ${Math.round(performance.now() - started)} ms after the element was added`);
      await until(() => lastCount(m).total === STREAM, 'the true total');
      expect(lastCount(m).visible).to.equal(50);
      await until(() => count.shadowRoot?.textContent?.trim() === String(STREAM), '<card-count> 5000');
      for (let i = 0; i < 12; i++) {
        const shown = m.ids().length;
        loadMore(m)!.click();
        await until(() => m.ids().length > shown, `page ${i + 2}`);
      }
      expect(m.ids().length).to.equal(650);
      const order = await truth(user);
      expect(m.ids()).to.deep.equal(order.slice(0, 650), 'the cards on screen are the first of the platform\'s order');
      expect(new Set(m.ids()).size).to.equal(650);
    } finally {
      m.remove();
      count.remove();
    }
  });

  it('the total stays true through sends and dismisses in and beyond the loaded cards', async () => {
    const m = await mount(user);
    try {
      await until(() => lastCount(m).total === STREAM && m.ids().length === 50, 'loaded');
      const order = await truth(user);
      // Beyond the 500 loaded: the platform's count says so.
      const far = order[4000] as string;
      expect((await api('PUT', `/v1/cards/dismiss?cardInstanceId=${far}`)).status).to.equal(200);
      await until(() => lastCount(m).total === STREAM - 1, 'the total after a dismiss beyond the loaded pages');
      // A new first card shows at the top.
      const top = await sendCard(user, { blocks: [{ type: 'headline', content: 'Top' }] }, { priority: 1 });
      await until(() => m.ids()[0] === top && lastCount(m).total === STREAM, 'the new first card, total 5,000');
      // A dismiss on screen.
      const shown = m.ids()[3] as string;
      expect((await api('PUT', `/v1/cards/dismiss?cardInstanceId=${shown}`)).status).to.equal(200);
      await until(() => !m.ids().includes(shown) && lastCount(m).total === STREAM - 1, 'gone, total 4,999');
      const now = await truth(user);
      expect(m.ids()).to.deep.equal(now.slice(0, m.ids().length));
    } finally {
      m.remove();
    }
  });
});

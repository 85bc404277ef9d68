// Unseen (CONTRACT §8a) in Chromium against the real platform: `<card-count unseen>` and
// `cs-count.unseen` count the active cards no card-displayed has recorded for the user; the
// platform keeps it, so a fresh page (another device) agrees.
import { expect } from '@open-wc/testing';
import { CardCountElement, defineElements } from '../../packages/card-stream/src/index.js';
import { mount } from './support/mount.js';
import { analyticsEvents, delegateFor, platformUrl, sdkApiAvailable, sendCard, uniqueUser, until } from './support/platform.js';

async function unseenCount(user: string): Promise<CardCountElement> {
  const count = document.createElement('card-count') as CardCountElement;
  count.apiBase = await platformUrl();
  count.sessionDelegate = delegateFor(user);
  count.unseen = true;
  document.body.append(count);
  return count;
}
const shown = (count: CardCountElement) => Number(count.shadowRoot?.textContent?.trim());

describe('unseen', function () {
  this.timeout(30_000);
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
    defineElements();
  });

  it('counts the cards not displayed yet, here and on a fresh page; a new card is unseen', async () => {
    const user = uniqueUser('unseen');
    for (const n of [1, 2, 3]) await sendCard(user, { blocks: [{ type: 'headline', content: `Card ${n}` }] });
    const count = await unseenCount(user);
    try {
      await until(() => shown(count) === 3, 'three unseen before any is displayed');
      const m = await mount(user);
      await until(() => m.ids().length === 3, 'the stream');
      await until(() => shown(count) === 0 && m.counts.at(-1)?.unseen === 0, 'none unseen once displayed');
      expect(m.counts.at(-1)?.total).to.equal(3);
      await until(async () => (await analyticsEvents({ endUserId: user, analyticsEvent: 'card-displayed' }))?.length === 3, 'the platform has the displays');
      m.remove();
      count.remove();

      // A fresh page: nothing of this one's memory, only the platform's.
      const again = await unseenCount(user);
      try {
        await until(() => shown(again) === 0 && again.total === 3, `the platform says none is unseen (shows ${shown(again)}, total ${again.total})`);
        await sendCard(user, { blocks: [{ type: 'headline', content: 'New' }] });
        await until(() => shown(again) === 1 && again.total === 4, 'the new card is unseen');
      } finally {
        again.remove();
      }
    } finally {
      count.remove();
    }
  });
});

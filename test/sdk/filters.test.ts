// Filters (CONTRACT §8a) in Chromium against the real platform: two elements of one user with
// different filters share one client and one socket, each shows and counts its own cards as
// the platform filters them, and both follow sends and dismisses live.
import { expect } from '@open-wc/testing';
import { defineElements } from '../../packages/card-stream/src/index.js';
import type { CardStreamElement } from '../../packages/card-stream/src/index.js';
import { api, delegateFor, platformUrl, sdkApiAvailable, sendCard, uniqueUser, until, countSockets } from './support/platform.js';

const shown = (el: CardStreamElement) => [...el.shadowRoot!.querySelectorAll('[part~="card"]')].map((c) => c.getAttribute('data-card-id'));

describe('filters', function () {
  this.timeout(30_000);
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
    defineElements();
  });

  it('"All" and "Priority ≤ 3" share one socket; each shows and counts its own cards, live', async () => {
    const user = uniqueUser('filters');
    const urgent = await sendCard(user, { blocks: [{ type: 'headline', content: 'Urgent' }] }, { priority: 2 });
    const later = await sendCard(user, { blocks: [{ type: 'headline', content: 'Later' }] }, { priority: 7 });
    const sockets = countSockets();
    const apiBase = await platformUrl();
    const delegate = delegateFor(user);
    const totals = new Map<CardStreamElement, number>();
    const make = (filter?: string) => {
      const el = document.createElement('card-stream');
      el.apiBase = apiBase;
      el.sessionDelegate = delegate;
      if (filter) el.setAttribute('filter', filter);
      el.addEventListener('cs-count', (e) => totals.set(el, e.detail.total));
      document.body.append(el);
      return el;
    };
    const all = make();
    const few = make(JSON.stringify([{ field: 'priority', op: 'lte', value: 3 }]));
    try {
      await until(() => shown(all).length === 2 && shown(few).length === 1, 'both views');
      expect(shown(few)).to.deep.equal([urgent]);
      expect([totals.get(all), totals.get(few)]).to.deep.equal([2, 1]);
      await until(() => all.state === 'live' && few.state === 'live', 'live');
      expect(sockets.count(), 'one socket for both').to.equal(1);

      const another = await sendCard(user, { blocks: [{ type: 'headline', content: 'Also urgent' }] }, { priority: 1 });
      const low = await sendCard(user, { blocks: [{ type: 'headline', content: 'Low' }] }, { priority: 9 });
      await until(() => shown(few).includes(another) && shown(all).includes(low), 'the sends');
      expect(shown(few)).to.not.include(low);
      await until(() => totals.get(all) === 4 && totals.get(few) === 2, 'totals 4 and 2');

      expect((await api('PUT', `/v1/cards/dismiss?cardInstanceId=${urgent}`)).status).to.equal(200);
      await until(() => !shown(all).includes(urgent) && !shown(few).includes(urgent), 'gone from both');
      await until(() => totals.get(all) === 3 && totals.get(few) === 1, 'totals 3 and 1');
      expect(shown(all)).to.include(later);
    } finally {
      sockets.restore();
      all.remove();
      few.remove();
    }
  });
});

// The headless client (CONTRACT §8b) against the real platform: cards and total through
// subscribe, actions that reach the server, SDK events, a filter, and one socket shared
// with an element of the same user.
import { expect } from '@open-wc/testing';
import { createClient, type HeadlessSnapshot } from '../../packages/card-stream/src/client/headless.js';
import { defineElements } from '../../packages/card-stream/src/index.js';
import { analyticsEvents, cardsOf, delegateFor, platformUrl, sdkApiAvailable, sendCard, uniqueUser, until, countSockets } from './support/platform.js';

describe('the headless client', function () {
  this.timeout(30_000);
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
  });

  it('shows the stream through subscribe; dismiss, snooze, vote and submit reach the server; track records an event', async () => {
    const user = uniqueUser('headless');
    const [a, b, c, d] = [
      await sendCard(user, { blocks: [{ type: 'headline', content: 'A' }] }),
      await sendCard(user, { blocks: [{ type: 'headline', content: 'B' }] }),
      await sendCard(user, { voting: 'both', blocks: [{ type: 'headline', content: 'C' }] }),
      await sendCard(user, {
        blocks: [
          { type: 'input', name: 'answer', kind: 'text', label: 'Answer' },
          { type: 'button', buttons: [{ id: 'go', label: 'Send', action: { type: 'submit' } }] },
        ],
      }),
    ];
    const client = createClient({ apiBase: await platformUrl(), sessionDelegate: delegateFor(user) });
    const seen: HeadlessSnapshot[] = [];
    const stop = client.subscribe((s) => seen.push(s));
    try {
      await until(() => client.total === 4 && client.state === 'live', 'four cards, live');
      expect(client.cards.map((x) => x.cardInstanceId).sort()).to.deep.equal([a, b, c, d].sort());
      expect(seen.at(-1)?.total).to.equal(4);

      await client.dismiss(a);
      expect(client.cards.map((x) => x.cardInstanceId), 'gone at once').to.not.include(a);
      await client.snooze(b, { interval: 'PT1H' });
      await client.vote(c, 'down', 'not-relevant');
      await client.submit(d, 'go', { answer: 'yes' });
      client.track('card-displayed', { cardInstanceId: c });
      const status = async (id: string) => (await cardsOf(user)).find((x) => x.cardInstanceId === id)?.status;
      await until(async () => (await status(a)) === 'dismissed', 'dismissed on the server');
      await until(async () => (await status(b)) === 'snoozed', 'snoozed on the server');
      await until(async () => (await status(d)) === 'completed', 'completed on the server');
      await until(async () => (await analyticsEvents({ endUserId: user, analyticsEvent: 'card-voted-down' }))?.length === 1, 'the vote');
      await until(async () => (await analyticsEvents({ endUserId: user, cardInstanceId: c, analyticsEvent: 'card-displayed' }))?.length === 1, 'the tracked event');
      await until(() => client.total === 1, 'one card left');
    } finally {
      stop();
      client.close();
    }
  });

  it('a filter keeps the cards that match it; an element of the same user shares its socket', async () => {
    const user = uniqueUser('headless-filter');
    const urgent = await sendCard(user, { blocks: [{ type: 'headline', content: 'Urgent' }] }, { priority: 1 });
    await sendCard(user, { blocks: [{ type: 'headline', content: 'Later' }] }, { priority: 8 });
    const sockets = countSockets();
    const api = await platformUrl();
    const delegate = delegateFor(user);
    const client = createClient({ apiBase: api, sessionDelegate: delegate, filter: [{ field: 'priority', op: 'lte', value: 3 }] });
    defineElements();
    const el = document.createElement('card-stream');
    el.apiBase = api;
    el.sessionDelegate = delegate;
    document.body.append(el);
    try {
      await until(() => client.state === 'live' && client.total === 1, 'the filtered stream');
      expect(client.cards.map((x) => x.cardInstanceId)).to.deep.equal([urgent]);
      await until(() => el.shadowRoot?.querySelectorAll('[part~="card"]').length === 2, 'the element shows both');
      expect(sockets.count(), 'one socket for the client and the element').to.equal(1);
    } finally {
      sockets.restore();
      el.remove();
      client.close();
    }
  });

  it('refuses to start without a platform or a session', () => {
    expect(() => createClient({ apiBase: '' })).to.throw(/apiBase and a sessionDelegate or sessionUrl/);
  });
});

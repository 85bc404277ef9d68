// Transport and offline behaviour against the real platform, through a TCP path the test
// can cut (offline) or make refuse WebSocket upgrades (support/platform-plugin.mjs).
import { expect } from '@open-wc/testing';
import { defineElements } from '../../packages/card-stream/src/index.js';
import { menu, mount, showsExactly, type Mounted } from './support/mount.js';
import { analyticsEvents, cardsOf, delegateFor, newNetwork, sdkApiAvailable, sendCard, sleep, uniqueUser, until } from './support/platform.js';

const headline = (content: string) => ({ blocks: [{ type: 'headline' as const, content }] });

/** Counts answered action POSTs (requests that reached the platform and came back). */
function countActionResponses(): { count: () => number; restore: () => void } {
  const real = window.fetch;
  let n = 0;
  window.fetch = async (input, init) => {
    const res = await real(input, init);
    if (String(input instanceof Request ? input.url : input).includes('/actions') && init?.method === 'POST') n++;
    return res;
  };
  return { count: () => n, restore: () => (window.fetch = real) };
}

describe('e2e: transports and offline', function () {
  const mounted: Mounted[] = [];
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
    defineElements();
  });
  afterEach(() => mounted.splice(0).forEach((m) => m.remove()));

  it('falls back to polling when the socket is refused, still delivers, and returns to the socket', async () => {
    const user = uniqueUser('fallback');
    const network = await newNetwork();
    await network.set('no-websocket');
    const m = await mount(user, { apiBase: network.url, pollInterval: 1000 });
    mounted.push(m);
    await until(() => m.states.includes('polling'), 'state polling');
    const failed = await until(() => m.named('request-failed')[0], 'request-failed');
    expect(failed.properties).to.include({ fallback: 'polling' });
    const card = await sendCard(user, headline('Polled'));
    await showsExactly(m, [card], 5000);

    await network.set('online');
    window.dispatchEvent(new Event('online'));
    await until(() => m.states.at(-1) === 'live', 'back on the socket', 15_000);
    const second = await sendCard(user, { ...headline('Pushed'), priority: 1 });
    await showsExactly(m, [second, card], 3000);
  });

  it('transport="websocket" never polls: a refused socket leaves it connecting', async () => {
    const user = uniqueUser('ws-only');
    const network = await newNetwork();
    await network.set('no-websocket');
    const m = await mount(user, { apiBase: network.url, transport: 'websocket', pollInterval: 1000 });
    mounted.push(m);
    await until(() => m.el.shadowRoot!.querySelector('[part~="empty"]'), 'the feed was read');
    const card = await sendCard(user, headline('Only over the socket'));
    await sleep(2500);
    expect(m.ids(), 'no polling').to.deep.equal([]);
    expect(m.states).to.not.include('polling');
    expect(m.states.at(-1)).to.equal('connecting');
    await network.set('online');
    window.dispatchEvent(new Event('online'));
    await showsExactly(m, [card], 8000);
    // The card may show from the socket's first sync a moment before the state says so.
    await until(() => m.states.at(-1) === 'live', 'live on the socket', 3000);
    expect(m.states).to.not.include('polling');
  });

  it('fetches again when the page becomes visible or the browser comes online', async () => {
    const user = uniqueUser('wake');
    const m = await mount(user, { transport: 'polling', pollInterval: 60_000 });
    mounted.push(m);
    await until(() => m.states.includes('polling'), 'polling');
    const first = await sendCard(user, headline('Seen on visible'));
    await sleep(500);
    expect(m.ids(), 'the next poll is a minute away').to.deep.equal([]);
    document.dispatchEvent(new Event('visibilitychange'));
    await showsExactly(m, [first], 2000);
    const second = await sendCard(user, { ...headline('Seen on online'), priority: 1 });
    window.dispatchEvent(new Event('online'));
    await showsExactly(m, [second, first], 2000);
  });

  it('shows the error state when the platform cannot be reached, and loads on retry', async () => {
    const user = uniqueUser('error');
    const id = await sendCard(user, headline('After retry'));
    const network = await newNetwork();
    await network.set('offline');
    const m = await mount(user, { apiBase: network.url, transport: 'polling', pollInterval: 60_000 });
    mounted.push(m);
    const error = await until(() => m.el.shadowRoot!.querySelector('[part~="error"]'), 'error state');
    expect(error.getAttribute('role')).to.equal('alert');
    expect(m.named('request-failed').length).to.be.at.least(1);
    expect(m.states.at(-1)).to.equal('offline');
    await network.set('online');
    error.querySelector('button')!.click();
    await showsExactly(m, [id], 3000);
  });

  it('never guesses the user: with the host backend down too, cached cards stay hidden', async () => {
    const user = uniqueUser('cold');
    const id = await sendCard(user, headline('Cached'));
    const network = await newNetwork();
    const m = await mount(user, { apiBase: network.url });
    mounted.push(m);
    await showsExactly(m, [id]);
    m.remove();
    await network.set('offline');
    const failing = Object.assign(async () => Promise.reject(new Error('backend unreachable')), { calls: 0 });
    const again = await mount(user, { apiBase: network.url, delegate: failing });
    mounted.push(again);
    await until(() => again.el.shadowRoot!.querySelector('[part~="error"]'), 'the error state');
    expect(again.ids()).to.deep.equal([]);
  });

  it('a feed read begun before a snooze was answered does not bring the card back when it lands after the answer', async () => {
    const user = uniqueUser('late-feed');
    const a = await sendCard(user, headline('A'));
    const b = await sendCard(user, headline('B'));
    // Polling with a long period: no socket change overtakes the late read, so only the client can keep A away.
    const m = await mount(user, { transport: 'polling', pollInterval: 60_000 });
    mounted.push(m);
    await until(() => m.ids().length === 2, 'two cards');
    // A change the client has not read yet, so the next read is a whole feed, not a 304.
    const c = await sendCard(user, headline('C'));

    // The next feed read is answered by the platform at once (with A still active) but reaches
    // the client only after the dismissal's answer has.
    const real = window.fetch;
    let read!: () => void;
    const feedRead = new Promise<void>((resolve) => (read = resolve));
    let answer!: () => void;
    const actionAnswered = new Promise<void>((resolve) => (answer = resolve));
    let held = 0;
    window.fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      const res = await real(input, init);
      if (url.includes('/actions') && init?.method === 'POST') answer();
      else if (url.includes('/cards') && (init?.method ?? 'GET') === 'GET' && held++ === 0) {
        const body = await res.clone().json();
        expect(body.cards.map((c: { cardInstanceId: string }) => c.cardInstanceId), 'the held read has A').to.include(a);
        read();
        await actionAnswered;
        await sleep(50);
      }
      return res;
    };
    try {
      window.dispatchEvent(new Event('online'));
      await feedRead;
      await menu(m, a, 'snooze');
      (await until(() => m.card(a).shadowRoot.querySelector<HTMLElement>('[part~="snooze-option"][data-interval="PT1H"]'), 'snooze options')).click();
      await actionAnswered;
      const shown: string[][] = [];
      const start = Date.now();
      while (Date.now() - start < 800) {
        shown.push(m.ids());
        await sleep(20);
      }
      expect(held, 'the held read reached the client').to.be.greaterThan(0);
      expect(shown.filter((ids) => ids.includes(a)), 'A never shows again').to.deep.equal([]);
      expect((await cardsOf(user)).find((c) => c.cardInstanceId === a).status).to.equal('snoozed');
      expect(m.ids().sort()).to.deep.equal([b, c].sort());
    } finally {
      window.fetch = real;
    }
  });

  it('offline: a dismissal shows at once, survives a reload, and reaches the server exactly once when back online', async () => {
    const user = uniqueUser('offline');
    const a = await sendCard(user, headline('A'));
    const b = await sendCard(user, headline('B'));
    const network = await newNetwork();
    const delegate = delegateFor(user);
    const m = await mount(user, { apiBase: network.url, pollInterval: 1000, delegate });
    mounted.push(m);
    await until(() => m.ids().length === 2, 'two cards');
    await until(() => m.states.at(-1) === 'live', 'live');

    await network.set('offline');
    await until(() => m.states.at(-1) === 'offline', 'state offline', 10_000);
    const counter = countActionResponses();
    try {
      // An analytics event while offline: queued with the action, uploaded later.
      await menu(m, b, 'snooze');
      const canceled = await until(() => {
        m.card(b).shadowRoot.querySelector<HTMLElement>('.cancel')?.click();
        return m.named('snooze-options-canceled')[0];
      }, 'snooze-options-canceled');
      const clickedAt = Date.now();
      await menu(m, a, 'dismiss');
      await showsExactly(m, [b], 1000);
      await sleep(1500);
      expect((await cardsOf(user)).find((c) => c.cardInstanceId === a).status, 'not sent while offline').to.equal('active');

      // A reload while offline: a new page (client) shows the cached cards, without A.
      m.remove();
      const again = await mount(user, { apiBase: network.url, pollInterval: 1000, delegate });
      mounted.push(again);
      await showsExactly(again, [b], 3000);
      await until(() => again.states.at(-1) === 'offline', 'still offline');
      expect(counter.count()).to.equal(0);

      const onlineAt = Date.now();
      await network.set('online');
      window.dispatchEvent(new Event('online'));
      await until(async () => (await cardsOf(user)).find((c) => c.cardInstanceId === a).status === 'dismissed', 'dismissed on the server', 15_000);
      await sleep(1500);
      expect(counter.count(), 'the action was answered once').to.equal(1);
      expect((await cardsOf(user)).find((c) => c.cardInstanceId === b).status).to.equal('active');
      expect(again.ids()).to.deep.equal([b]);
      const events = await analyticsEvents({ endUserId: user, cardInstanceId: a, analyticsEvent: 'card-dismissed' });
      if (events) {
        expect(events.length, 'one card-dismissed event').to.equal(1);
        // Dated by the click, not by when it reached the server (seconds later).
        const dismissedAt = Date.parse(events[0].timestamp);
        expect(dismissedAt, 'the event has the time of the click').to.be.within(clickedAt - 1000, onlineAt - 1000);
        await until(async () => {
          const stored = await analyticsEvents({ endUserId: user, analyticsEvent: 'snooze-options-canceled' });
          return stored?.some((e) => e.id === canceled.id);
        }, 'the offline analytics event uploaded', 15_000);
      }
    } finally {
      counter.restore();
    }
  });
});

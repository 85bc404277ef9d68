// <card-stream> against the real platform: cards appear over the socket and the feed, in
// order, and the element announces its state and counts.
import { expect } from '@open-wc/testing';
import { defineElements } from '../../packages/card-stream/src/index.js';
import { mount, showsExactly, type Mounted } from './support/mount.js';
import { framedCount, type FramedCount } from './support/frame.js';
import { newNetwork, sdkApiAvailable, sendCard, uniqueUser, until, type Network, type NetworkMode } from './support/platform.js';

describe('e2e: cards reach the stream', function () {
  const mounted: Mounted[] = [];
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
    defineElements();
  });
  afterEach(() => mounted.splice(0).forEach((m) => m.remove()));

  it('shows the cards already sent (feed), then a card sent while open (socket), in priority order', async () => {
    const user = uniqueUser('feed');
    const first = await sendCard(user, { blocks: [{ type: 'headline', content: 'First' }] }, { priority: 5 });
    const m = await mount(user, { transport: 'websocket' });
    mounted.push(m);
    await showsExactly(m, [first]);
    await until(() => m.states.includes('live'), 'state live');
    expect(m.states[0]).to.equal('connecting');
    const urgent = await sendCard(user, { blocks: [{ type: 'headline', content: 'Urgent' }] }, { priority: 1 });
    await showsExactly(m, [urgent, first]);
    const headline = m.card(urgent).shadowRoot.querySelector('.headline')!;
    expect(headline.textContent).to.equal('Urgent');
    expect(m.card(urgent).getAttribute('role')).to.equal('article');
    expect(m.card(urgent).getAttribute('aria-label')).to.equal('Urgent');
    expect(m.el.shadowRoot!.querySelector('[role="feed"]')!.getAttribute('aria-busy')).to.equal('false');
    await until(() => m.counts.some((c) => c.total === 2 && c.visible === 2), 'cs-count 2/2');
    expect(m.named('sdk-initialized').length).to.equal(1);
    expect(m.named('stream-displayed').length).to.equal(1);
  });

  /** The user's stream on `network`, live, showing one card. */
  async function liveStream(user: string, network: Network): Promise<{ m: Mounted; first: string }> {
    const first = await sendCard(user, { blocks: [{ type: 'headline', content: 'First' }] });
    const m = await mount(user, { apiBase: network.url, pollInterval: 1000 });
    mounted.push(m);
    await showsExactly(m, [first]);
    await until(() => m.states.includes('live'), 'state live');
    return { m, first };
  }

  /**
   * With HTTP answers held (`hold`), a <card-count> of the user in a frame: another client,
   * in the same group of tabs, so it follows the stream's socket. Resolves once the count's
   * feed (one card) has been read and waits on its way back; the caller removes it.
   */
  async function heldCount(user: string, network: Network, hold: NetworkMode = 'hold-http'): Promise<FramedCount> {
    await network.set(hold);
    const count = await framedCount(network.url, user);
    await until(async () => (await network.set(hold)) > 0, "the count's feed answered");
    return count;
  }

  /** Lets the held answers through: the count must come to 2. */
  async function countComesTo2(count: FramedCount, network: Network): Promise<void> {
    await network.set('online');
    await until(() => count.count() === 2, 'card-count 2 (was stuck at 1)', 5000);
  }

  it('a second client of the user, following the tab that holds the socket, has what was relayed while its feed was on the way', async () => {
    const user = uniqueUser('follower');
    const network = await newNetwork();
    const { m, first } = await liveStream(user, network);
    const count = await heldCount(user, network);
    try {
      // Sent while the count's feed is on its way: the stream's socket hears it and relays it.
      const second = await sendCard(user, { blocks: [{ type: 'headline', content: 'Second' }] });
      await showsExactly(m, [second, first]);
      await countComesTo2(count, network);
    } finally {
      count.remove();
    }
  });

  it("a following client whose feed is on the way when the holder's socket comes back takes no feed older than the socket's new starting point", async () => {
    const user = uniqueUser('rejoin');
    const network = await newNetwork();
    const { m, first } = await liveStream(user, network);
    // The stream's socket drops; while it is refused the count starts.
    const before = m.states.length;
    await network.set('offline');
    await until(() => m.states.slice(before).some((state) => state !== 'live'), 'the socket gone');
    const count = await heldCount(user, network, 'hold-http-no-websocket');
    try {
      // Sent before the socket is back: the socket's `ready` (relayed to the count, which has
      // heard no change yet) comes with a sequence that includes it, and the change follows.
      const second = await sendCard(user, { blocks: [{ type: 'headline', content: 'Second' }] });
      await network.set('hold-http');
      await showsExactly(m, [second, first], 15_000);
      await countComesTo2(count, network);
    } finally {
      count.remove();
    }
  });

  it('mode="single" shows the first card only; the card carries its status tone', async () => {
    const user = uniqueUser('single');
    const top = await sendCard(user, { status: 'warning', blocks: [{ type: 'headline', content: 'Top' }] }, { priority: 1 });
    await sendCard(user, { blocks: [{ type: 'headline', content: 'Second' }] }, { priority: 2 });
    const m = await mount(user, { mode: 'single' });
    mounted.push(m);
    await showsExactly(m, [top]);
    await until(() => m.counts.some((c) => c.total === 2 && c.visible === 1), 'cs-count 1 of 2');
    expect(m.card(top).getAttribute('tone')).to.equal('warning');
    const border = getComputedStyle(m.card(top).shadowRoot.querySelector('.card')!).borderLeftColor;
    expect(border).to.equal('rgb(191, 135, 0)');
  });

  it('mode="horizontal" lays the cards out in a row', async () => {
    const user = uniqueUser('row');
    const ids = [await sendCard(user, { blocks: [{ type: 'headline', content: 'A' }] }), await sendCard(user, { blocks: [{ type: 'headline', content: 'B' }] })];
    const m = await mount(user, { mode: 'horizontal' });
    mounted.push(m);
    await until(() => m.ids().length === 2, 'two cards');
    const [a, b] = m.ids().map((id) => m.card(id).getBoundingClientRect());
    expect(Math.abs(a!.top - b!.top), 'same row').to.be.below(1);
    expect(b!.left).to.be.above(a!.left);
    expect(ids).to.have.members(m.ids());
  });

  it('shows the empty state for a user without cards', async () => {
    const m = await mount(uniqueUser('empty'), { transport: 'polling' });
    mounted.push(m);
    const empty = await until(() => m.el.shadowRoot!.querySelector('[part~="empty"]'), 'empty state');
    expect(empty.textContent!.trim()).to.equal('No cards yet');
    await until(() => m.states.includes('polling'), 'state polling');
  });
});

// SDK analytics against the real platform: every event fires as cs-event and is uploaded
// in batches of at most 100 that the platform accepts. Also parts, keyboard and motion.
import { expect } from '@open-wc/testing';
import { emulateMedia } from '@web/test-runner-commands';
import { defineElements } from '../../packages/card-stream/src/index.js';
import { inCard, menu, mount, showsExactly, type Mounted } from './support/mount.js';
import { analyticsEvents, sdkApiAvailable, sendCard, uniqueUser, until } from './support/platform.js';

interface Upload {
  size: number;
  status: number;
  body: { accepted: number; duplicates: number };
}

/** Records each POST /v1/sdk/events the page makes and the platform's answer. */
function recordUploads(): { uploads: Upload[]; restore: () => void } {
  const real = window.fetch;
  const uploads: Upload[] = [];
  window.fetch = async (input, init) => {
    const res = await real(input, init);
    if (String(input).endsWith('/v1/sdk/events') && init?.method === 'POST') {
      const sent = JSON.parse(String(init.body)).events.length;
      uploads.push({ size: sent, status: res.status, body: await res.clone().json() });
    }
    return res;
  };
  return { uploads, restore: () => (window.fetch = real) };
}

describe('e2e: analytics, parts, keyboard', function () {
  const mounted: Mounted[] = [];
  let style: HTMLStyleElement | undefined;
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
    defineElements();
  });
  afterEach(async () => {
    mounted.splice(0).forEach((m) => m.remove());
    style?.remove();
    await emulateMedia({ reducedMotion: 'no-preference' });
  });

  it('uploads every cs-event in batches of at most 100, all accepted', async function () {
    this.timeout(30_000);
    const recorder = recordUploads();
    try {
      const user = uniqueUser('upload');
      const id = await sendCard(user, { blocks: [{ type: 'headline', content: 'Snooze me a lot' }] });
      const m = await mount(user);
      mounted.push(m);
      await showsExactly(m, [id]);
      // 70 rounds of open + cancel: 140 snooze-options events, with the SDK's own.
      for (let i = 0; i < 70; i++) {
        await menu(m, id, 'snooze');
        inCard(m, id, '.cancel').click();
      }
      await until(() => m.named('snooze-options-canceled').length === 70, '70 cancels');
      const fired = m.events.length;
      await until(() => recorder.uploads.reduce((n, u) => n + u.size, 0) >= fired, `${fired} events uploaded`, 15_000);
      expect(recorder.uploads.length).to.be.at.least(2);
      for (const upload of recorder.uploads) {
        expect(upload.size).to.be.within(1, 100);
        expect(upload.status).to.equal(200);
        expect(upload.body.accepted + upload.body.duplicates).to.equal(upload.size);
      }
      expect(recorder.uploads.reduce((n, u) => n + u.body.accepted, 0)).to.equal(fired);
      // Stored with the platform's own events: the user from the token, platformContext from the card.
      const stored = await analyticsEvents({ endUserId: user, analyticsEvent: 'card-displayed' });
      if (stored) {
        const displayed = m.named('card-displayed')[0]!;
        const row = stored.find((e) => e.id === displayed.id);
        expect(row, 'card-displayed stored').to.not.equal(undefined);
        expect(row.endUserId).to.equal(user);
        expect(row.cardContext).to.deep.equal(displayed.cardContext);
        expect(row.streamContext).to.deep.equal(displayed.streamContext);
        expect(row.platformContext.lifecycleId).to.be.a('string');
      }
      const names = new Set(m.events.map((e) => e.analyticsEvent));
      for (const name of ['sdk-initialized', 'stream-displayed', 'card-displayed', 'snooze-options-displayed', 'snooze-options-canceled']) {
        expect(names.has(name as never), name).to.equal(true);
      }
    } finally {
      recorder.restore();
    }
  });

  it('exposes the parts of every nested card to the page (exportparts)', async () => {
    const user = uniqueUser('parts');
    const id = await sendCard(user, {
      voting: 'both',
      blocks: [{ type: 'button', buttons: [{ id: 'b1', label: 'One' }] }],
    });
    style = document.createElement('style');
    style.textContent = `
      card-stream.parts::part(card) { outline: 3px solid rgb(1, 1, 1); }
      card-stream.parts::part(menu-button) { color: rgb(2, 2, 2); }
      card-stream.parts::part(menu-item) { color: rgb(3, 3, 3); }
      card-stream.parts::part(snooze-option) { color: rgb(4, 4, 4); }
      card-stream.parts::part(vote-reason) { color: rgb(5, 5, 5); }
      card-stream.parts::part(button) { color: rgb(6, 6, 6); }`;
    document.head.append(style);
    const m = await mount(user);
    m.el.classList.add('parts');
    mounted.push(m);
    await showsExactly(m, [id]);
    const color = (selector: string) => getComputedStyle(inCard(m, id, selector)).color;
    expect(getComputedStyle(m.card(id)).outlineColor).to.equal('rgb(1, 1, 1)');
    expect(color('[part~="menu-button"]')).to.equal('rgb(2, 2, 2)');
    expect(color('[part~="button"][data-button-id="b1"]')).to.equal('rgb(6, 6, 6)');
    inCard(m, id, '[part~="menu-button"]').click();
    await until(() => m.card(id).shadowRoot.querySelector('[part~="menu-item"]'), 'menu');
    expect(color('[part~="menu-item"][data-action="vote-down"]')).to.equal('rgb(3, 3, 3)');
    inCard(m, id, '[data-action="snooze"]').click();
    await until(() => m.card(id).shadowRoot.querySelector('[part~="snooze-option"]'), 'snooze options');
    expect(color('[part~="snooze-option"][data-interval="P1D"]')).to.equal('rgb(4, 4, 4)');
    inCard(m, id, '.cancel').click();
    await menu(m, id, 'vote-down');
    await until(() => m.card(id).shadowRoot.querySelector('[part~="vote-reason"]'), 'reasons');
    expect(color('[part~="vote-reason"][data-reason="too-often"]')).to.equal('rgb(5, 5, 5)');
  });

  it('keyboard: the menu opens with focus inside, Escape closes it and returns focus', async () => {
    const user = uniqueUser('keys');
    const id = await sendCard(user, { blocks: [{ type: 'headline', content: 'Keys' }] });
    const m = await mount(user);
    mounted.push(m);
    await showsExactly(m, [id]);
    expect(m.card(id).tabIndex).to.equal(0);
    expect(m.el.shadowRoot!.querySelector('[role="feed"]')!.getAttribute('aria-label')).to.equal('Cards');
    const button = inCard(m, id, '[part~="menu-button"]');
    expect(button.getAttribute('aria-label')).to.equal('Card options');
    button.click();
    await until(() => m.card(id).shadowRoot.activeElement?.getAttribute('data-action') === 'dismiss', 'focus on the first item');
    m.card(id).shadowRoot.activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }));
    await until(() => !m.card(id).shadowRoot.querySelector('[part~="menu-item"]'), 'menu closed');
    expect(m.card(id).shadowRoot.activeElement).to.equal(button);
  });

  it('strings override the UI text, also on cards already shown', async () => {
    const user = uniqueUser('strings');
    const id = await sendCard(user, { blocks: [{ type: 'headline', content: 'Words' }] });
    const m = await mount(user);
    mounted.push(m);
    await showsExactly(m, [id]);
    const button = inCard(m, id, '[part~="menu-button"]');
    expect(button.getAttribute('aria-label')).to.equal('Card options');
    m.el.strings = { menu: 'More', dismiss: 'Hide' };
    await until(() => button.getAttribute('aria-label') === 'More', 'new label on the shown card');
    button.click();
    await until(() => m.card(id).shadowRoot.querySelector('[data-action="dismiss"]')?.textContent?.trim() === 'Hide', 'new item text');
    expect(m.el.shadowRoot!.querySelector('[role="feed"]')!.getAttribute('aria-label')).to.equal('Cards');
  });

  it('honours prefers-reduced-motion: no exit transition', async () => {
    const user = uniqueUser('motion');
    const ids = [await sendCard(user, { blocks: [{ type: 'headline', content: 'One' }] }), await sendCard(user, { blocks: [{ type: 'headline', content: 'Two' }] })];
    const m = await mount(user);
    mounted.push(m);
    await until(() => m.ids().length === 2, 'two cards');
    /** ms from pressing dismiss to the card leaving the DOM. */
    const leaveTime = async (id: string) => {
      inCard(m, id, '[part~="menu-button"]').click();
      const item = await until(() => m.card(id).shadowRoot.querySelector<HTMLElement>('[data-action="dismiss"]'), 'menu');
      const el = m.card(id);
      const gone = new Promise<number>((resolve) => {
        const watch = new MutationObserver(() => {
          if (!el.isConnected) {
            watch.disconnect();
            resolve(performance.now());
          }
        });
        watch.observe(m.el.shadowRoot!, { childList: true, subtree: true });
      });
      const pressed = performance.now();
      item.click();
      return (await gone) - pressed;
    };
    expect(getComputedStyle(m.card(ids[0]!)).transitionDuration).to.equal('0.15s');
    expect(await leaveTime(ids[0]!), 'with motion: after the exit transition').to.be.at.least(140);
    await emulateMedia({ reducedMotion: 'reduce' });
    expect(getComputedStyle(m.card(ids[1]!)).transitionDuration).to.equal('0s');
    expect(await leaveTime(ids[1]!), 'reduced motion: at once').to.be.below(100);
  });
});

// mode="launcher" (CONTRACT §8a) against the real platform: the button and its live
// count, the panel, what closes it, where focus goes, analytics, and a phone screen.
import { expect } from '@open-wc/testing';
import { emulateMedia, sendKeys, sendMouse, setViewport } from '@web/test-runner-commands';
import { defineElements } from '../../packages/card-stream/src/index.js';
import { headline } from './support/cards.js';
import { inCard, mount, type Mounted } from './support/mount.js';
import { analyticsEvents, sdkApiAvailable, sendCard, sleep, uniqueUser, until } from './support/platform.js';

describe('launcher mode', function () {
  const mounted: Mounted[] = [];
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
    defineElements();
  });
  afterEach(async () => {
    mounted.splice(0).forEach((m) => m.remove());
    await setViewport({ width: 800, height: 600 });
    await emulateMedia({ reducedMotion: 'no-preference' });
  });

  async function launcher(label: string, cards: number) {
    const user = uniqueUser(label);
    for (let i = 0; i < cards; i++) await sendCard(user, headline(`Card ${i}`, i + 1));
    const m = await mount(user, { mode: 'launcher' });
    mounted.push(m);
    const root = m.el.shadowRoot!;
    const button = await until(() => root.querySelector<HTMLButtonElement>('[part~="launcher"]'), 'the launcher');
    const panel = root.querySelector<HTMLElement>('[part~="panel"]')!;
    const count = () => root.querySelector('[part~="launcher-count"]')?.textContent?.trim();
    const isOpen = () => panel.checkVisibility();
    await until(() => count() === String(cards) && m.ids().length === cards, `count ${cards}`);
    return { user, m, root, button, panel, count, isOpen };
  }

  it('shows the live count on a button; the panel opens on it with focus on the first card, and Escape closes it with focus back on the button', async () => {
    const { user, m, root, button, count, isOpen } = await launcher('launcher', 2);
    expect(isOpen(), 'closed at first').to.equal(false);
    expect(button.getAttribute('aria-expanded')).to.equal('false');
    expect(button.textContent!.replace(/\s+/g, ' ').trim(), 'its name says what it opens, then the count').to.equal('Cards 2');
    await until(() => m.states.at(-1) === 'live', 'live');
    await sendCard(user, headline('Arrived', 1));
    await until(() => count() === '3', 'the count follows the stream live');

    button.focus();
    await sendKeys({ press: 'Enter' });
    await until(isOpen, 'open');
    expect(button.getAttribute('aria-expanded')).to.equal('true');
    await until(() => root.activeElement?.getAttribute('data-card-id') === m.ids()[0], 'focus on the first card');

    await sendKeys({ press: 'Escape' });
    await until(() => !isOpen(), 'Escape closes');
    expect(root.activeElement, 'focus back on the button').to.equal(button);
    expect(button.getAttribute('aria-expanded')).to.equal('false');
  });

  it('closes on a click outside and on the button; Escape in an open card menu closes the menu first', async () => {
    const { m, root, button, isOpen } = await launcher('launcher-close', 1);
    button.click();
    await until(isOpen, 'open');
    await sendMouse({ type: 'click', position: [5, 5] });
    await until(() => !isOpen(), 'a click outside closes');
    expect(root.activeElement, 'focus back on the button').to.equal(button);

    button.click();
    await until(isOpen, 'open again');
    inCard(m, m.ids()[0]!, ".card").click();
    await sleep(100);
    expect(isOpen(), 'a click inside keeps it open').to.equal(true);
    button.click();
    await until(() => !isOpen(), 'the button closes');

    button.click();
    await until(isOpen, 'open once more');
    const id = m.ids()[0]!;
    inCard(m, id, '[part~="menu-button"]').click();
    await until(() => m.card(id).shadowRoot.querySelector('[part~="menu-item"]') === m.card(id).shadowRoot.activeElement, 'menu open, focus on its first item');
    await sendKeys({ press: 'Escape' });
    await until(() => !m.card(id).shadowRoot.querySelector('[part~="menu-item"]'), 'the menu closes');
    expect(isOpen(), 'the panel stays open').to.equal(true);
    await sendKeys({ press: 'Escape' });
    await until(() => !isOpen(), 'the second Escape closes the panel');
  });

  it('records displayMode "launcher"; nothing is displayed while closed; each opening displays the stream', async () => {
    const { user, m, button, isOpen } = await launcher('launcher-analytics', 2);
    await sleep(500);
    expect(m.named('card-displayed').length, 'no card is displayed behind a closed launcher').to.equal(0);
    expect(m.named('stream-displayed').length).to.equal(0);
    expect(m.counts.at(-1)).to.deep.equal({ visible: 0, total: 2, unseen: 2 }, 'behind a closed launcher both are unseen');
    button.click();
    await until(isOpen, 'open');
    await until(() => m.named('card-displayed').length === 2, 'both cards displayed');
    expect(m.named('card-displayed').map((e) => e.streamContext.displayMode)).to.deep.equal(['launcher', 'launcher']);
    expect(m.named('stream-displayed').map((e) => e.streamContext.displayMode)).to.deep.equal(['launcher']);
    await until(() => m.counts.at(-1)?.unseen === 0, 'none unseen once displayed');
    expect(m.counts.at(-1)).to.deep.equal({ visible: 2, total: 2, unseen: 0 });
    button.click();
    await until(() => !isOpen(), 'closed');
    button.click();
    await until(() => m.named('stream-displayed').length === 2, 'a second opening displays the stream again');
    const stored: any[] = await until(async () => {
      const events = await analyticsEvents({ endUserId: user, analyticsEvent: 'card-displayed' });
      return events !== undefined && events.length >= 2 ? events : undefined;
    }, 'the platform stores the uploaded events');
    expect(new Set(stored.map((e) => e.streamContext.displayMode)), 'and takes displayMode "launcher" as it is').to.deep.equal(new Set(['launcher']));
  });

  it('fits a 360 px phone screen, above the button', async () => {
    await setViewport({ width: 360, height: 640 });
    const { button, panel, isOpen } = await launcher('launcher-phone', 3);
    button.click();
    await until(isOpen, 'open');
    await Promise.all(panel.getAnimations().map((a) => a.finished));
    const p = panel.getBoundingClientRect();
    const b = button.getBoundingClientRect();
    expect([p.left >= 0, p.right <= 360, p.top >= 0, p.bottom <= 640], `panel ${JSON.stringify(p)}`).to.deep.equal([true, true, true, true]);
    expect(p.width, 'most of the screen').to.be.at.least(300);
    expect([b.left >= 0, b.right <= 360, b.bottom <= 640], `button ${JSON.stringify(b)}`).to.deep.equal([true, true, true]);
    expect(b.top, 'the button stays visible below the panel').to.be.at.least(p.bottom);
    expect(panel.scrollHeight > panel.clientHeight || p.height < 640, 'the panel scrolls instead of leaving the screen').to.equal(true);
    expect(document.documentElement.scrollWidth, 'no sideways scrolling').to.be.at.most(360);
  });

  it('opens without motion, so prefers-reduced-motion holds (the panel simply appears)', async () => {
    const { button, panel, isOpen } = await launcher('launcher-motion', 1);
    for (const reducedMotion of ['no-preference', 'reduce'] as const) {
      await emulateMedia({ reducedMotion });
      button.click();
      await until(isOpen, `open (${reducedMotion})`);
      expect(getComputedStyle(panel).animationName).to.equal('none');
      expect(panel.getAnimations().length).to.equal(0);
      button.click();
      await until(() => !isOpen(), 'closed');
    }
  });
});

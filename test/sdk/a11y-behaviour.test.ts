// Keyboard and screen-reader behaviour against the real platform: the WAI-ARIA menu
// button pattern on each card's menu, where focus goes after a dismiss, one polite live
// region for arrivals, the headline level, and inputs that say what is wrong with them.
import { expect } from '@open-wc/testing';
import { sendKeys, sendMouse } from '@web/test-runner-commands';
import { defineElements } from '../../packages/card-stream/src/index.js';
import { FULL_CARD, headline } from './support/cards.js';
import { inCard, mount, showsExactly, type Mounted } from './support/mount.js';
import { cardsOf, sdkApiAvailable, sendCard, uniqueUser, until } from './support/platform.js';

const VOTING = { ...headline('Menu'), voting: 'both' as const };

describe('accessibility: keyboard and screen readers', function () {
  const mounted: Mounted[] = [];
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
    defineElements();
  });
  afterEach(() => mounted.splice(0).forEach((m) => m.remove()));

  async function setup(label: string, definitions: object[], attributes: Record<string, string> = {}) {
    const user = uniqueUser(label);
    const ids: string[] = [];
    for (const d of definitions) ids.push(await sendCard(user, d));
    const m = await mount(user);
    for (const [name, value] of Object.entries(attributes)) m.el.setAttribute(name, value);
    mounted.push(m);
    await until(() => m.ids().length === ids.length, `${ids.length} cards`);
    return { user, ids, m };
  }

  it('card menus follow the menu button pattern: Enter, arrows, Home/End, Escape, ArrowUp, Tab, a click outside', async () => {
    const { ids, m } = await setup('menu-keys', [VOTING]);
    const id = ids[0]!;
    const root = m.card(id).shadowRoot;
    const button = inCard(m, id, '[part~="menu-button"]');
    const focused = () => root.activeElement?.getAttribute('data-action');
    const open = () => !!root.querySelector('[role="menu"]');
    expect(button.getAttribute('aria-haspopup')).to.equal('menu');

    button.focus();
    await sendKeys({ press: 'Enter' });
    await until(() => focused() === 'dismiss', 'Enter opens on the first item');
    expect(button.getAttribute('aria-expanded')).to.equal('true');
    const items = [...root.querySelectorAll('[part~="menu-item"]')];
    expect(items.map((i) => [i.getAttribute('role'), i.getAttribute('tabindex')])).to.deep.equal(Array(4).fill(['menuitem', '-1']));
    const steps: [string, string][] = [
      ['ArrowDown', 'snooze'],
      ['End', 'vote-down'],
      ['ArrowDown', 'dismiss'],
      ['ArrowUp', 'vote-down'],
      ['ArrowUp', 'vote-up'],
      ['Home', 'dismiss'],
    ];
    for (const [key, action] of steps) {
      await sendKeys({ press: key });
      expect(focused(), `after ${key}`).to.equal(action);
    }
    await sendKeys({ press: 'Escape' });
    await until(() => !open(), 'Escape closes');
    expect(root.activeElement, 'focus back on the button').to.equal(button);

    await sendKeys({ press: 'ArrowUp' });
    await until(() => focused() === 'vote-down', 'ArrowUp on the button opens on the last item');
    await sendKeys({ press: 'Tab' });
    await until(() => !open(), 'Tab closes');

    button.click();
    await until(open, 'open by click');
    const box = m.card(id).getBoundingClientRect();
    await sendMouse({ type: 'click', position: [Math.round(box.left + 10), Math.round(box.bottom + 40)] });
    await until(() => !open(), 'a click outside closes');
    expect(button.getAttribute('aria-expanded')).to.equal('false');
  });

  it('after a dismiss focus moves to the next card, and after the last to the empty state', async () => {
    const { ids, m } = await setup('dismiss-focus', [headline('A', 1), headline('B', 2)]);
    await showsExactly(m, ids);
    for (const [i, id] of ids.entries()) {
      inCard(m, id, '[part~="menu-button"]').focus();
      await sendKeys({ press: 'Enter' });
      await until(() => m.card(id).shadowRoot.activeElement?.getAttribute('data-action') === 'dismiss', 'dismiss focused');
      await sendKeys({ press: 'Enter' });
      await until(() => !m.ids().includes(id), 'gone');
      const active = m.el.shadowRoot!.activeElement;
      if (i === 0) expect(active?.getAttribute('data-card-id'), 'the next card').to.equal(ids[1]);
      else expect(active?.getAttribute('part'), 'the empty state').to.equal('empty');
    }
    expect(m.el.shadowRoot!.querySelector('[part~="empty"]')!.textContent!.trim()).to.equal('No cards yet');
  });

  it('announces cards that arrive after the first load in one polite live region', async () => {
    const { user, m } = await setup('announce', [headline('Loaded', 2)]);
    await until(() => m.states.at(-1) === 'live', 'live');
    const regions = () => {
      const roots = [m.el.shadowRoot!, ...m.ids().map((id) => m.card(id).shadowRoot)];
      return roots.flatMap((r) => [...r.querySelectorAll('[aria-live], [role="status"], [role="alert"], [role="log"]')]);
    };
    expect(regions().length, 'one live region').to.equal(1);
    const region = regions()[0]!;
    expect(region.getAttribute('role')).to.equal('status');
    expect(region.textContent, 'the first load is not announced').to.equal('');
    await sendCard(user, headline('New', 1));
    await until(() => region.textContent === '1 new card', '"1 new card"');
    await sendCard(user, headline('Newer', 1));
    await until(() => m.ids().length === 3, 'three cards');
    expect(region.textContent!.trim(), 'the same words again').to.equal('1 new card');
    expect(region.textContent, 'changed, so it is read again').to.not.equal('1 new card');
    expect(regions().length, 'still one live region with three cards').to.equal(1);
  });

  it('heading-level sets the level of headlines and subview titles (default 2)', async () => {
    const { ids, m } = await setup('levels', [FULL_CARD]);
    const id = ids[0]!;
    expect(inCard(m, id, '.headline').tagName).to.equal('H2');
    m.el.setAttribute('heading-level', '4');
    await until(() => m.card(id).shadowRoot.querySelector('.headline')?.tagName === 'H4', 'h4');
    inCard(m, id, '[data-button-id="more"]').click();
    await until(() => m.card(id).shadowRoot.querySelector('.subview-head .headline')?.tagName === 'H4', 'the subview title is an h4 too');
  });

  it('a submit with invalid inputs says what is wrong under each, focuses the first, and clears a message once edited', async () => {
    const { user, ids, m } = await setup('input-error', [FULL_CARD]);
    const id = ids[0]!;
    const root = m.card(id).shadowRoot;
    inCard(m, id, '[data-button-id="send"]').click();
    const note = await until(() => root.querySelector<HTMLInputElement>('[name="note"][aria-invalid="true"]'), 'the note is marked invalid');
    const slot = root.querySelector<HTMLSelectElement>('[name="slot"]')!;
    expect(slot.getAttribute('aria-invalid'), 'the select too').to.equal('true');
    expect(root.querySelector('[name="floor"]')!.hasAttribute('aria-invalid'), 'not the optional floor').to.equal(false);
    const message = root.getElementById(note.getAttribute('aria-describedby')!)!;
    expect(message.textContent!.length, 'the browser\'s message, shown').to.be.above(3);
    await until(() => root.activeElement === note, 'focus on the first invalid input');

    await sendKeys({ type: 'Leave it by the door' });
    await until(() => !note.hasAttribute('aria-invalid'), 'edited: its message goes');
    expect(root.getElementById(`${note.id}-error`)).to.equal(null);
    expect(slot.getAttribute('aria-invalid'), 'the other stays').to.equal('true');
    slot.value = 'Evening';
    slot.dispatchEvent(new Event('input', { bubbles: true }));
    await until(() => !slot.hasAttribute('aria-invalid'), 'the select is fine now');
    inCard(m, id, '[data-button-id="send"]').click();
    await until(async () => (await cardsOf(user)).find((c) => c.cardInstanceId === id)?.status === 'completed', 'completed');
  });
});

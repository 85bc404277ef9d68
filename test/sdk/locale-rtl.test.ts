// Locale and direction (CONTRACT §8a): dates and times follow `locale`, else
// configure({ locale }), else the nearest `lang`; strings stay overridable; under
// dir="rtl" on an ancestor the layout mirrors (menu side, horizontal order, launcher).
import { expect } from '@open-wc/testing';
import { configure, defineElements } from '../../packages/card-stream/src/index.js';
import { IMAGE_FIRST, headline } from './support/cards.js';
import { inCard, menu, mount, showsExactly, type Mounted } from './support/mount.js';
import { sdkApiAvailable, sendCard, uniqueUser, until } from './support/platform.js';

const WHEN: Intl.DateTimeFormatOptions = { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' };

describe('locale and direction', function () {
  const mounted: Mounted[] = [];
  const boxes: HTMLElement[] = [];
  let user = '';
  let id = '';
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
    defineElements();
    user = uniqueUser('locale');
    id = await sendCard(user, IMAGE_FIRST);
  });
  afterEach(() => {
    mounted.splice(0).forEach((m) => m.remove());
    boxes.splice(0).forEach((b) => b.remove());
    configure({ locale: undefined, strings: {} });
  });

  function box(attributes: Record<string, string>, width = 600): HTMLElement {
    const el = document.createElement('div');
    for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
    el.style.width = `${width}px`;
    document.body.append(el);
    boxes.push(el);
    return el;
  }

  /** The snooze choices' end times as shown, and what `locale` makes of them (a minute either way). */
  async function snoozeTimes(m: Mounted, locale: string | undefined) {
    await menu(m, id, 'snooze');
    const before = Date.now();
    const shown = await until(() => [...m.card(id).shadowRoot.querySelectorAll('[part~="snooze-option"] .when')].map((e) => e.textContent), 'snooze options');
    const hours = { PT1H: 1, PT4H: 4, P1D: 24, P7D: 168 };
    const expected = (at: number) => Object.values(hours).map((h) => new Intl.DateTimeFormat(locale, WHEN).format(new Date(at + h * 3_600_000)));
    const ok = [before - 60_000, before, before + 60_000].some((t) => JSON.stringify(expected(t)) === JSON.stringify(shown));
    inCard(m, id, '.cancel').click();
    return { shown, ok };
  }

  it('snooze times follow the locale attribute, then configure(), then the nearest lang', async () => {
    const m = await mount(user, { parent: box({ lang: 'ja-JP' }) });
    mounted.push(m);
    await showsExactly(m, [id]);
    const ja = await snoozeTimes(m, 'ja-JP');
    expect(ja.ok, `nearest lang: ${ja.shown}`).to.equal(true);

    configure({ locale: 'fr-FR' });
    const fr = await snoozeTimes(m, 'fr-FR');
    expect(fr.ok, `configure: ${fr.shown}`).to.equal(true);

    m.el.setAttribute('locale', 'de-DE');
    await m.el.updateComplete;
    const de = await snoozeTimes(m, 'de-DE');
    expect(de.ok, `attribute: ${de.shown}`).to.equal(true);
    expect(de.shown, 'the locales really differ').to.not.deep.equal(fr.shown);

    m.el.setAttribute('locale', 'not a locale!');
    await m.el.updateComplete;
    const fallback = await snoozeTimes(m, 'fr-FR');
    expect(fallback.ok, `an unreadable locale gives way to the next source: ${fallback.shown}`).to.equal(true);
  });

  it('strings stay overridable beside the localized times', async () => {
    const m = await mount(user, { parent: box({ lang: 'de' }) });
    mounted.push(m);
    await showsExactly(m, [id]);
    m.el.strings = { P1D: 'Morgen', snoozeTitle: 'Erinnere mich' };
    await menu(m, id, 'snooze');
    const option = await until(() => m.card(id).shadowRoot.querySelector('[data-interval="P1D"]'), 'options');
    expect(option.textContent!.trim().startsWith('Morgen '), option.textContent!).to.equal(true);
    expect(m.card(id).shadowRoot.querySelector('.title')!.textContent).to.equal('Erinnere mich');
  });

  it('mirrors under dir="rtl" on an ancestor: the menu button side, the horizontal order, the launcher side', async () => {
    const sides: Record<string, { menu: string; order: string; launcher: string; scroll: number }> = {};
    const second = await sendCard(user, headline('Second', 9));
    for (const dir of ['ltr', 'rtl']) {
      const parent = box({ dir }, 500);
      const stream = await mount(user, { parent });
      const row = await mount(user, { parent, mode: 'horizontal' });
      const launcher = await mount(user, { parent, mode: 'launcher' });
      mounted.push(stream, row, launcher);
      await showsExactly(stream, [id, second]);
      await showsExactly(row, [id, second]);
      const card = stream.card(id).getBoundingClientRect();
      const button = inCard(stream, id, '[part~="menu-button"]').getBoundingClientRect();
      const image = inCard(stream, id, 'img').getBoundingClientRect();
      expect(button.bottom <= image.top || button.right <= image.left || button.left >= image.right, `${dir}: the button is clear of the image`).to.equal(true);
      const [a, b] = [row.card(id), row.card(second)].map((c) => c.getBoundingClientRect().left) as [number, number];
      const bell = (await until(() => launcher.el.shadowRoot!.querySelector('[part~="launcher"]'), 'launcher')).getBoundingClientRect();
      const feed = row.el.shadowRoot!.querySelector<HTMLElement>('.feed')!;
      feed.style.scrollBehavior = 'auto';
      row.el.shadowRoot!.querySelector<HTMLElement>('[part~="scroll-next"]')!.click();
      sides[dir] = {
        menu: button.left + button.width / 2 > card.left + card.width / 2 ? 'right' : 'left',
        order: a < b ? 'first on the left' : 'first on the right',
        launcher: bell.left + bell.width / 2 > innerWidth / 2 ? 'right' : 'left',
        scroll: Math.sign(feed.scrollLeft),
      };
    }
    expect(sides).to.deep.equal({
      ltr: { menu: 'right', order: 'first on the left', launcher: 'right', scroll: 1 },
      rtl: { menu: 'left', order: 'first on the right', launcher: 'left', scroll: -1 },
    });
  });
});

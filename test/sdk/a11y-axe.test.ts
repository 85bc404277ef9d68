// axe-core, every rule it enables by default (all tags, best-practice included), in light
// and dark theme, in every mode, for each state a user meets: loading, empty, a full
// stream, an open menu, the snooze picker, the vote-reason form, a subview, an input card
// with an error and the open launcher. The page around the stream is a plain, valid page
// (lang, title, a main landmark with an h1), so axe judges the stream and nothing else.
import { expect } from '@open-wc/testing';
import { defineElements, type CardStreamElement } from '../../packages/card-stream/src/index.js';
import { axeViolations, violationCount } from './support/axe.js';
import { FULL_CARD, SECOND_CARD } from './support/cards.js';
import { inCard, menu, mount, type Mounted } from './support/mount.js';
import { sdkApiAvailable, sendCard, uniqueUser, until } from './support/platform.js';

const MODES = ['stream', 'single', 'horizontal', 'launcher'] as const;
const THEMES = ['light', 'dark'] as const;
type Mode = (typeof MODES)[number];

describe('accessibility: axe-core in every mode, theme and state', function () {
  let page: HTMLElement;
  let fullUser = '';
  let fullId = '';
  const report: Record<string, number> = {};
  const mounted: Mounted[] = [];

  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
    defineElements();
    document.documentElement.lang = 'en';
    document.title = 'Accessibility check';
    page = document.createElement('main');
    page.innerHTML = '<h1>Your cards</h1>';
    document.body.append(page);
    fullUser = uniqueUser('axe');
    await sendCard(fullUser, SECOND_CARD);
    fullId = await sendCard(fullUser, FULL_CARD);
  });
  afterEach(() => mounted.splice(0).forEach((m) => m.remove()));
  after(() => {
    page?.remove();
    console.log(`axe violations (failing nodes) per mode/theme/state: ${JSON.stringify(report)}`);
  });

  async function open(m: Mounted, mode: Mode): Promise<void> {
    if (mode !== 'launcher') return;
    const button = m.el.shadowRoot!.querySelector<HTMLElement>('[part~="launcher"]');
    if (!button) return;
    button.click();
    const panel = await until(() => m.el.shadowRoot!.querySelector<HTMLElement>('[part~="panel"]:not([hidden])'), 'the open panel');
    // axe judges what the reader sees once the panel has faded in.
    await Promise.all(panel.getAnimations().map((a) => a.finished));
  }

  async function check(found: Record<string, string[]>, key: string, m: Mounted): Promise<void> {
    await m.el.updateComplete;
    await new Promise((r) => requestAnimationFrame(r));
    found[key] = await axeViolations(document);
    report[key] = violationCount(found[key]!);
  }

  function mountIn(user: string, mode: Mode, theme: string, delegate?: Mounted['delegate']) {
    return mount(user, { mode, parent: page, ...(delegate ? { delegate } : {}) }).then((m) => {
      (m.el as CardStreamElement).theme = theme as CardStreamElement['theme'];
      mounted.push(m);
      return m;
    });
  }

  for (const mode of MODES) {
    for (const theme of THEMES) {
      it(`${mode}, ${theme}: loading, empty, full, menu, snooze, vote reason, subview, input error`, async function () {
        this.timeout(60_000);
        const found: Record<string, string[]> = {};
        const at = (state: string) => `${mode}/${theme}/${state}`;

        const never = Object.assign(() => new Promise<string>(() => undefined), { calls: 0 });
        const loading = await mountIn(uniqueUser('axe-loading'), mode, theme, never);
        await until(() => loading.el.shadowRoot!.querySelector('[part~="loading"]') || loading.el.shadowRoot!.querySelector('[part~="launcher"]'), 'loading');
        await open(loading, mode);
        await check(found, at('loading'), loading);
        loading.remove();

        const empty = await mountIn(uniqueUser('axe-empty'), mode, theme);
        await open(empty, mode);
        await until(() => empty.el.shadowRoot!.querySelector('[part~="empty"]'), 'the empty state');
        await check(found, at('empty'), empty);
        empty.remove();

        const m = await mountIn(fullUser, mode, theme);
        await until(() => m.ids().includes(fullId), 'the full card');
        if (mode === 'launcher') await check(found, at('launcher-closed'), m);
        await open(m, mode);
        await check(found, at(mode === 'launcher' ? 'launcher-open' : 'full'), m);

        inCard(m, fullId, '[part~="menu-button"]').click();
        await until(() => m.card(fullId).shadowRoot.querySelector('[part~="menu-item"]'), 'menu');
        await check(found, at('menu'), m);
        inCard(m, fullId, '[part~="menu-button"]').click();
        await until(() => !m.card(fullId).shadowRoot.querySelector('[part~="menu-item"]'), 'menu closed');

        await menu(m, fullId, 'snooze');
        await until(() => m.card(fullId).shadowRoot.querySelector('[part~="snooze-option"]'), 'snooze picker');
        await check(found, at('snooze'), m);
        inCard(m, fullId, '.cancel').click();

        await menu(m, fullId, 'vote-down');
        await until(() => m.card(fullId).shadowRoot.querySelector('[part~="vote-reason"]'), 'vote reasons');
        await check(found, at('vote-reason'), m);
        inCard(m, fullId, '.cancel').click();

        inCard(m, fullId, '[data-button-id="more"]').click();
        await until(() => m.card(fullId).shadowRoot.querySelector('.back'), 'subview');
        await check(found, at('subview'), m);
        inCard(m, fullId, '.back').click();
        await until(() => m.card(fullId).shadowRoot.querySelector('[data-button-id="send"]'), 'top view');

        inCard(m, fullId, '[data-button-id="send"]').click();
        await check(found, at('input-error'), m);

        const failing = Object.entries(found).filter(([, lines]) => lines.length);
        expect(failing.map(([key, lines]) => `${key}: ${lines.join('; ')}`)).to.deep.equal([]);
      });
    }
  }
});

// What the stream shows, against the real platform: runtime variables, untrusted content,
// impressions, and styling that neither leaks in nor out.
import { expect } from '@open-wc/testing';
import { emulateMedia } from '@web/test-runner-commands';
import type { RuntimeVariableRequest } from '../../packages/card-stream/src/index.js';
import { defineElements } from '../../packages/card-stream/src/index.js';
import { inCard, mount, showsExactly, type Mounted } from './support/mount.js';
import { sdkApiAvailable, sendCard, sleep, uniqueUser, until } from './support/platform.js';

const VARS = [
  { name: 'first', defaultValue: 'friend' },
  { name: 'city', defaultValue: 'Paris' },
];

describe('e2e: rendering', function () {
  const mounted: Mounted[] = [];
  let style: HTMLStyleElement | undefined;
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
    defineElements();
  });
  afterEach(() => {
    mounted.splice(0).forEach((m) => m.remove());
    style?.remove();
  });

  it('fills runtime variables through the callback: once per batch, never twice for a card, URL-encoded in urls', async () => {
    const user = uniqueUser('vars');
    const definition = {
      blocks: [
        { type: 'headline' as const, content: 'Hi !{first} from !{city}' },
        { type: 'button' as const, buttons: [{ id: 'go', label: 'Open', action: { type: 'link' as const, url: 'https://x.test/?who=!{first}' } }] },
      ],
    };
    const first = await sendCard(user, definition, { runtimeVariables: VARS });
    const calls: RuntimeVariableRequest[][] = [];
    const m = await mount(user, {
      transport: 'websocket',
      runtimeVariables: async (cards) => {
        calls.push(cards);
        return Object.fromEntries(cards.map((c) => [c.cardInstanceId, { first: 'Ada & <b>Bo</b>', city: 7 as unknown as string }]));
      },
    });
    mounted.push(m);
    await showsExactly(m, [first]);
    expect(m.card(first).shadowRoot.querySelector('.headline')!.textContent).to.equal('Hi Ada & <b>Bo</b> from Paris');
    expect(m.card(first).shadowRoot.querySelector('b'), 'a value is text, never markup').to.equal(null);
    expect(calls).to.deep.equal([[{ cardInstanceId: first, cardTemplateId: calls[0]![0]!.cardTemplateId, runtimeVariables: { first: 'friend', city: 'Paris' } }]]);
    const updated = await until(() => m.named('runtime-vars-updated')[0], 'runtime-vars-updated');
    expect(updated.properties).to.deep.equal({ resolvedVariables: { first: 'Ada & <b>Bo</b>', city: 'Paris' } });

    m.el.addEventListener('cs-action', (e) => e.preventDefault(), { once: true });
    inCard(m, first, '[data-button-id="go"]').click();
    expect((m.actions[0]!.detail.action as { url: string }).url).to.equal('https://x.test/?who=Ada%20%26%20%3Cb%3EBo%3C%2Fb%3E');

    await until(() => m.states.at(-1) === 'live', 'live');
    const second = await sendCard(user, { ...definition, priority: 1 }, { runtimeVariables: VARS });
    await showsExactly(m, [second, first]);
    expect(calls.length).to.equal(2);
    expect(calls[1]!.map((c) => c.cardInstanceId), 'only the new card').to.deep.equal([second]);
  });

  it('shows the template defaults when the callback does not answer within 5 s', async function () {
    this.timeout(20_000);
    const user = uniqueUser('vars-timeout');
    const id = await sendCard(user, { blocks: [{ type: 'headline', content: 'Hi !{first}' }] }, { runtimeVariables: VARS });
    const m = await mount(user, { runtimeVariables: () => new Promise(() => undefined) });
    mounted.push(m);
    await sleep(3500);
    expect(m.ids(), 'waiting for the callback').to.deep.equal([]);
    await showsExactly(m, [id], 4000);
    expect(m.card(id).shadowRoot.querySelector('.headline')!.textContent).to.equal('Hi friend');
  });

  it('renders script tags, event-handler attributes and javascript: links inert', async () => {
    const user = uniqueUser('xss');
    (window as any).__pwned = 0;
    const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>';
    const id = await sendCard(user, {
      blocks: [
        { type: 'headline', content: evil },
        { type: 'text', format: 'markdown', content: `${evil} [click](javascript:window.__pwned=1) **<svg onload="window.__pwned=1">**` },
        { type: 'text', content: evil },
        { type: 'kv', rows: [{ key: evil, value: evil }] },
        { type: 'badge', label: evil },
        { type: 'image', url: 'javascript:window.__pwned=1', alt: evil },
        { type: 'image', url: 'https://127.0.0.1:9/x.png" onerror="window.__pwned=1', alt: 'quote' },
        { type: 'video', url: 'data:video/mp4;base64,AAAA' },
        { type: 'button', buttons: [{ id: 'l', label: evil, action: { type: 'link', url: 'javascript:window.__pwned=1' } }] },
      ],
    });
    const m = await mount(user);
    mounted.push(m);
    await showsExactly(m, [id]);
    await sleep(300);
    const root = m.card(id).shadowRoot;
    expect(root.querySelectorAll('script, svg, iframe, object, video').length).to.equal(0);
    const imgs = [...root.querySelectorAll('img')];
    expect(imgs.length, 'only the http(s) image').to.equal(1);
    expect(imgs[0]!.getAttribute('onerror')).to.equal(null);
    expect([...root.querySelectorAll('*')].some((el) => [...el.attributes].some((a) => a.name.startsWith('on')))).to.equal(false);
    expect([...root.querySelectorAll('a')].map((a) => a.getAttribute('href'))).to.deep.equal([]);
    expect(root.querySelector('.headline')!.textContent).to.equal(evil);
    const opened: string[] = [];
    const realOpen = window.open;
    window.open = ((u: string) => (opened.push(u), null)) as typeof window.open;
    inCard(m, id, '[data-button-id="l"]').click();
    window.open = realOpen;
    expect(opened).to.deep.equal([]);
    expect((window as any).__pwned).to.equal(0);
  });

  it('records card-displayed only for cards at least half in view, and again when scrolled into view', async () => {
    const user = uniqueUser('displayed');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await sendCard(user, { blocks: [{ type: 'headline', content: `Card ${i}` }] }, { priority: i + 1 }));
    style = document.createElement('style');
    style.textContent = '.viewport card-stream::part(card) { height: 200px; }';
    document.head.append(style);
    const box = document.createElement('div');
    box.className = 'viewport';
    box.style.cssText = 'height: 250px; overflow: auto;';
    document.body.append(box);
    const m = await mount(user, { parent: box });
    mounted.push({ ...m, remove: () => box.remove() });
    await showsExactly(m, ids);
    await until(() => m.named('card-displayed').length >= 1, 'first impression');
    await sleep(500);
    expect(m.named('card-displayed').map((e) => e.cardContext.cardInstanceId)).to.deep.equal([ids[0]]);
    const shown = m.named('card-displayed')[0]!;
    expect(shown.streamContext).to.include({ streamId: 'default', displayMode: 'stream', cardPositionInStream: 1, streamLength: 5 });
    expect(shown.sdkContext).to.include({ platform: 'Web' });
    expect(shown.cardContext).to.include({ cardViewState: 'topview', cardPriority: 1, cardPresentation: 'individual' });
    expect(Object.keys(shown).sort()).to.deep.equal(
      ['analyticsEvent', 'cardContext', 'endUserId', 'eventContext', 'hostContext', 'id', 'platformContext', 'properties', 'sdkContext', 'streamContext', 'timestamp'],
    );
    expect(shown.endUserId).to.equal(user);

    box.scrollTop = box.scrollHeight;
    await until(() => m.named('card-displayed').length >= 2, 'impressions after scrolling');
    await sleep(500);
    const after = m.named('card-displayed').slice(1).map((e) => e.cardContext.cardInstanceId);
    expect(after).to.deep.equal([ids[4]]);
  });

  it('records video-played and video-completed', async () => {
    const user = uniqueUser('video');
    const id = await sendCard(user, { blocks: [{ type: 'video', url: `${location.origin}/__cs/media/silence.wav` }] });
    const m = await mount(user);
    mounted.push(m);
    await showsExactly(m, [id]);
    const video = inCard<HTMLVideoElement>(m, id, 'video');
    expect(video.controls).to.equal(true);
    video.muted = true;
    await video.play();
    await until(() => m.named('video-completed').length === 1, 'video-completed', 5000);
    expect(m.named('video-played').length).to.equal(1);
    expect(m.named('video-played')[0]!.cardContext.cardInstanceId).to.equal(id);
  });

  it('is not changed by host page CSS, and its CSS does not leak out; dark theme', async () => {
    const user = uniqueUser('css');
    const id = await sendCard(user, { blocks: [{ type: 'headline', content: 'Styled' }, { type: 'text', content: 'Body' }] });
    const m = await mount(user);
    mounted.push(m);
    await showsExactly(m, [id]);
    const root = m.card(id).shadowRoot;
    const h3 = root.querySelector('.headline')!;
    const p = root.querySelector('p')!;
    const before = [getComputedStyle(h3).color, getComputedStyle(h3).fontFamily, getComputedStyle(p).marginTop, getComputedStyle(h3).fontSize];
    style = document.createElement('style');
    style.textContent = `
      body { color: rgb(255, 0, 0); font-family: serif; font-size: 40px; line-height: 5; }
      h3, p, .headline, .card { color: rgb(0, 255, 0) !important; margin: 77px !important; }
      * { letter-spacing: 9px; }`;
    document.head.append(style);
    const outside = document.createElement('div');
    outside.innerHTML = '<h3>Control</h3><h3 class="headline">Page</h3><p class="text">Page text</p><span class="badge">Page badge</span>';
    document.body.append(outside);
    try {
      const now = [getComputedStyle(h3).color, getComputedStyle(h3).fontFamily, getComputedStyle(p).marginTop, getComputedStyle(h3).fontSize];
      expect(now).to.deep.equal(before);
      expect(getComputedStyle(h3).letterSpacing).to.equal('normal');
      // The card's rules (.headline, button.primary) do not reach the page.
      const badge = getComputedStyle(outside.querySelector('.badge')!);
      expect([badge.paddingLeft, badge.borderTopLeftRadius, badge.display]).to.deep.equal(['0px', '0px', 'inline']);
      const [control, page] = [...outside.querySelectorAll('h3')].map((e) => getComputedStyle(e).fontSize);
      expect(page, 'a page .headline is sized like any page h3').to.equal(control);
      expect(getComputedStyle(outside.querySelector('p')!).color).to.equal('rgb(0, 255, 0)');
    } finally {
      outside.remove();
    }
    const background = () => getComputedStyle(root.querySelector('.card')!).backgroundColor;
    expect(m.el.theme).to.equal('auto');
    expect(background(), 'auto in a light OS').to.equal('rgb(255, 255, 255)');
    await emulateMedia({ colorScheme: 'dark' });
    try {
      expect(background(), 'auto in a dark OS').to.equal('rgb(22, 27, 34)');
      m.el.theme = 'light';
      await m.el.updateComplete;
      expect(background(), 'light wins over the OS').to.equal('rgb(255, 255, 255)');
    } finally {
      await emulateMedia({ colorScheme: 'light' });
    }
    m.el.theme = 'dark';
    await m.el.updateComplete;
    expect(background(), 'dark in a light OS').to.equal('rgb(22, 27, 34)');
  });
});

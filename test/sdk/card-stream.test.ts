import { expect, fixture, html } from '@open-wc/testing';
import {
  CardCountElement,
  CardStreamElement,
  configure,
  defineElements,
  getConfig,
} from '../../packages/card-stream/src/index.js';

// Assertions compare booleans and strings, not classes: web-test-runner 0.20 hangs
// (until testsFinishTimeout) serialising a failed assertion whose value is a class.
const registeredAs = (tag: string, ctor: CustomElementConstructor): boolean =>
  customElements.get(tag) === ctor;
const isRegistered = (tag: string): boolean => customElements.get(tag) !== undefined;

// Read while this module is evaluated: importing index.ts (above) must not register anything.
const registeredOnImport = {
  'card-stream': isRegistered('card-stream'),
  'card-count': isRegistered('card-count'),
};

describe('packages/card-stream/src/index.ts', () => {
  it('registers no element when imported', () => {
    expect(registeredOnImport['card-stream'], 'card-stream registered on import').to.equal(false);
    expect(registeredOnImport['card-count'], 'card-count registered on import').to.equal(false);
    expect(isRegistered('cs-card'), 'cs-card registered on import').to.equal(false);
  });

  it('defineElements() registers both elements and is safe to call again', () => {
    defineElements();
    expect(registeredAs('card-stream', CardStreamElement), 'card-stream').to.equal(true);
    expect(registeredAs('card-count', CardCountElement), 'card-count').to.equal(true);
    expect(() => defineElements()).not.to.throw();
  });

  it('register.ts exports the same API and skips tags already registered', async () => {
    const registered = await import('../../packages/card-stream/src/register.js');
    expect(registered.CardStreamElement === CardStreamElement, 'same CardStreamElement').to.equal(true);
    expect(registered.configure === configure, 'same configure').to.equal(true);
    expect(registeredAs('card-stream', CardStreamElement), 'card-stream').to.equal(true);
  });

  it('configure() merges page-wide defaults', () => {
    // Strings only: with no platform configured the elements below keep waiting.
    configure({ strings: { loading: 'Just a moment' } });
    configure({ strings: { loading: 'Waiting for configure()' } });
    expect(getConfig().strings?.loading).to.equal('Waiting for configure()');
    expect(getConfig().apiBase).to.equal(undefined);
    expect(Object.isFrozen(getConfig())).to.equal(true);
  });
});

describe('<card-stream>', () => {
  before(() => defineElements());

  it('upgrades to CardStreamElement with an open shadow root', async () => {
    const el = await fixture<CardStreamElement>(html`<card-stream></card-stream>`);
    expect(el instanceof CardStreamElement, 'upgraded to CardStreamElement').to.equal(true);
    expect(el.shadowRoot).to.not.equal(null);
    expect(el.shadowRoot!.mode).to.equal('open');
  });

  it('shows the loading state (a busy feed) until configure() gives it a platform', async () => {
    const el = await fixture<CardStreamElement>(html`<card-stream></card-stream>`);
    const loading = el.shadowRoot!.querySelector('[part~="loading"]');
    expect(loading).to.not.equal(null);
    expect(loading!.textContent!.trim()).to.equal('Waiting for configure()');
    const feed = el.shadowRoot!.querySelector('[role="feed"]')!;
    expect(feed.getAttribute('aria-busy')).to.equal('true');
    expect(el.shadowRoot!.querySelectorAll('[part~="card"]').length).to.equal(0);
  });

  it('defaults stream to "default" and reflects it to the attribute', async () => {
    const el = await fixture<CardStreamElement>(html`<card-stream></card-stream>`);
    expect(el.stream).to.equal('default');
    expect(el.getAttribute('stream')).to.equal('default');
    el.stream = 'news';
    await el.updateComplete;
    expect(el.getAttribute('stream')).to.equal('news');
  });

  it('maps its attributes to properties', async () => {
    const el = await fixture<CardStreamElement>(html`
      <card-stream
        stream="inbox"
        api-base="http://127.0.0.1:9999"
        mode="horizontal"
        transport="polling"
        poll-interval="2000"
        theme="dark"
      ></card-stream>
    `);
    expect(el.stream).to.equal('inbox');
    expect(el.apiBase).to.equal('http://127.0.0.1:9999');
    expect(el.mode).to.equal('horizontal');
    expect(el.transport).to.equal('polling');
    expect(el.pollInterval).to.equal(2000);
    expect(el.theme).to.equal('dark');
  });

  it('has documented defaults for the other attributes', async () => {
    const el = await fixture<CardStreamElement>(html`<card-stream></card-stream>`);
    expect(el.apiBase).to.equal(undefined);
    expect(el.mode).to.equal('stream');
    expect(el.transport).to.equal('auto');
    expect(el.pollInterval).to.equal(15000);
    expect(el.theme).to.equal('auto');
  });

  it('styles with adopted stylesheets (no <style> element) and exposes ::part(loading)', async () => {
    const style = document.createElement('style');
    style.textContent = 'card-stream.probe::part(loading) { color: rgb(1, 2, 3); }';
    document.head.append(style);
    try {
      const el = await fixture<CardStreamElement>(html`<card-stream class="probe"></card-stream>`);
      expect(el.shadowRoot!.adoptedStyleSheets.length).to.be.greaterThan(0);
      expect(el.shadowRoot!.querySelector('style')).to.equal(null);
      const empty = el.shadowRoot!.querySelector('[part~="loading"]')!;
      expect(getComputedStyle(empty).color).to.equal('rgb(1, 2, 3)');
      expect(getComputedStyle(el).display).to.equal('block');
    } finally {
      style.remove();
    }
  });
});

describe('<card-count>', () => {
  before(() => defineElements());

  it('upgrades and shows 0', async () => {
    const el = await fixture<CardCountElement>(html`<card-count stream="inbox"></card-count>`);
    expect(el instanceof CardCountElement, 'upgraded to CardCountElement').to.equal(true);
    expect(el.shadowRoot!.mode).to.equal('open');
    expect(el.stream).to.equal('inbox');
    expect(el.total).to.equal(0);
    expect(el.shadowRoot!.textContent!.trim()).to.equal('0');
  });
});

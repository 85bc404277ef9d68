// The page-level contract against the real platform: configure() after the elements,
// one socket for every element, <card-count>, and a host page with a strict CSP.
import { expect } from '@open-wc/testing';
import { CardCountElement, CardStreamElement, configure, defineElements } from '../../packages/card-stream/src/index.js';
import { delegateFor, platformUrl, sdkApiAvailable, sendCard, uniqueUser, until, countSockets } from './support/platform.js';

const shown = (el: CardStreamElement) => [...el.shadowRoot!.querySelectorAll('[part~="card"]')].map((c) => c.getAttribute('data-card-id'));

describe('e2e: the page', function () {
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
    defineElements();
  });

  it('elements on the page before configure() load when it runs, sharing one socket; <card-count> counts', async () => {
    const user = uniqueUser('page');
    const inbox = await sendCard(user, { blocks: [{ type: 'headline', content: 'Default stream' }] });
    const news = await sendCard(user, { blocks: [{ type: 'headline', content: 'News stream' }] }, { streamId: 'news' });
    await sendCard(user, { blocks: [{ type: 'headline', content: 'More news' }] }, { streamId: 'news' });

    const sockets = countSockets();
    const box = document.createElement('div');
    box.innerHTML = '<card-stream></card-stream><card-stream stream="news"></card-stream><card-count stream="news"></card-count>';
    document.body.append(box);
    try {
      const [a, b] = [...box.querySelectorAll('card-stream')] as [CardStreamElement, CardStreamElement];
      const count = box.querySelector('card-count') as CardCountElement;
      await a.updateComplete;
      expect(a.shadowRoot!.querySelector('[part~="loading"]'), 'waiting for configure()').to.not.equal(null);
      const live: string[] = [];
      a.addEventListener('cs-state', (e) => live.push(e.detail.state));

      configure({ apiBase: await platformUrl(), sessionDelegate: delegateFor(user) });
      await until(() => shown(a).length === 1 && shown(b).length === 2, 'both streams loaded');
      expect(shown(a)).to.deep.equal([inbox]);
      expect(shown(b)).to.include(news);
      await until(() => count.shadowRoot!.textContent!.trim() === '2', 'card-count shows 2');
      expect(count.total).to.equal(2);
      await until(() => live.includes('live'), 'live');
      expect(sockets.count(), 'one socket for three elements').to.equal(1);

      const more = await sendCard(user, { blocks: [{ type: 'headline', content: 'Third news' }] }, { streamId: 'news' });
      await until(() => shown(b).includes(more), 'pushed to the news stream');
      await until(() => count.shadowRoot!.textContent!.trim() === '3', 'card-count shows 3');
      expect(shown(a)).to.deep.equal([inbox]);
      expect(sockets.count()).to.equal(1);
    } finally {
      box.remove();
      sockets.restore();
    }
  });

  it('the built IIFE (npm run build) works from a classic <script> as CONTRACT §8 shows', async function () {
    if ((await fetch('/packages/card-stream/dist/card-stream.iife.js', { method: 'HEAD' })).status !== 200) this.skip(); // not built
    const user = uniqueUser('iife');
    const id = await sendCard(user, { blocks: [{ type: 'headline', content: 'From the IIFE' }] });
    const frame = document.createElement('iframe');
    const report = new Promise<{ ids: string[]; api: string[]; defined: boolean[] }>((resolve) => {
      window.addEventListener('message', function onMessage(e) {
        if (e.data?.type !== 'iife-report') return;
        window.removeEventListener('message', onMessage);
        resolve(e.data);
      });
    });
    frame.src = `/__cs/iife-host.html?api=${encodeURIComponent(await platformUrl())}&user=${encodeURIComponent(user)}`;
    document.body.append(frame);
    try {
      const result = await report;
      expect(result.ids).to.deep.equal([id]);
      expect(result.defined).to.deep.equal([true, true, true]);
      expect(result.api).to.include.members(['configure', 'CardStreamElement', 'defineElements']);
    } finally {
      frame.remove();
    }
  });

  it('works in a host page with a strict Content-Security-Policy, with no violation', async function () {
    const user = uniqueUser('csp');
    const id = await sendCard(user, {
      status: 'success',
      blocks: [
        { type: 'headline', content: 'CSP' },
        { type: 'text', format: 'markdown', content: '**bold** and [a link](https://example.com)' },
        { type: 'button', buttons: [{ id: 'x', label: 'Press' }] },
      ],
    });
    const api = await platformUrl();
    const frame = document.createElement('iframe');
    const report = new Promise<{ ids: string[]; state: string; violations: string[] }>((resolve) => {
      window.addEventListener('message', function onMessage(e) {
        if (e.data?.type !== 'csp-report') return;
        window.removeEventListener('message', onMessage);
        resolve(e.data);
      });
    });
    frame.src = `/__cs/csp-host.html?api=${encodeURIComponent(api)}&user=${encodeURIComponent(user)}`;
    document.body.append(frame);
    try {
      const result = await report;
      expect(result.violations).to.deep.equal([]);
      expect(result.ids).to.deep.equal([id]);
      expect(result.state).to.equal('live');
      const policy = (await fetch(frame.src)).headers.get('content-security-policy')!;
      expect(policy).to.include("default-src 'self'").and.not.include('unsafe');
    } finally {
      frame.remove();
    }
  });
});

// Sessions, as integrators pass them (CONTRACT §8, §8a): a new delegate function on every
// render keeps one client; two users on one page get one client each; no session is never a
// silent wait (`unauthorized` with its reason, once on the console); `session-url` fetches
// the token from the host's backend, so a page under a strict CSP embeds with no script.
import { expect } from '@open-wc/testing';
import { CardStreamElement, defineElements } from '../../packages/card-stream/src/index.js';
import { countSockets, delegateFor, platformUrl, sdkApiAvailable, sendCard, sleep, uniqueUser, until } from './support/platform.js';

const shown = (el: CardStreamElement) => [...el.shadowRoot!.querySelectorAll('[part~="card"]')].map((c) => c.getAttribute('data-card-id'));

/** Counts feed requests and sockets the page opens while `run` runs. */
async function counting<T>(run: (counts: { feeds: number; readonly sockets: number }) => Promise<T>): Promise<T> {
  const sockets = countSockets();
  const counts = {
    feeds: 0,
    get sockets() {
      return sockets.count();
    },
  };
  const realFetch = window.fetch;
  window.fetch = (input, init) => {
    if (String(input instanceof Request ? input.url : input).includes('/v1/sdk/streams/')) counts.feeds++;
    return realFetch(input, init);
  };
  try {
    return await run(counts);
  } finally {
    window.fetch = realFetch;
    sockets.restore();
  }
}

/** The `cs-state` details an element fires, and console warnings meanwhile. */
function watch(el: CardStreamElement) {
  const states: { state: string; reason?: string }[] = [];
  el.addEventListener('cs-state', (e) => states.push(e.detail));
  return states;
}

async function element(setup: (el: CardStreamElement) => void | Promise<void>): Promise<CardStreamElement> {
  const el = document.createElement('card-stream');
  await setup(el);
  document.body.append(el);
  return el;
}

describe('sessions', function () {
  this.timeout(30_000);
  const warnings: string[] = [];
  const realWarn = console.warn;
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
    defineElements();
    console.warn = (...args: unknown[]) => {
      warnings.push(args.map(String).join(' '));
      realWarn.apply(console, args);
    };
  });
  after(() => {
    console.warn = realWarn;
  });
  afterEach(() => document.querySelectorAll('card-stream').forEach((el) => el.remove()));

  it('a new delegate function on each of 20 renders: one client, one feed request, one socket, the cards stay', async () => {
    const user = uniqueUser('arrow');
    const id = await sendCard(user, { blocks: [{ type: 'headline', content: 'Stable' }] });
    const base = delegateFor(user);
    await counting(async (counts) => {
      // As React renders `<card-stream sessionDelegate={() => getToken()}>`.
      const el = await element(async (e) => {
        e.apiBase = await platformUrl();
        e.sessionDelegate = () => base();
      });
      await until(() => shown(el).includes(id), 'the card');
      await until(() => el.state === 'live', 'live');
      for (let i = 0; i < 20; i++) {
        el.sessionDelegate = () => base();
        await el.updateComplete;
        await sleep(20);
      }
      await sleep(2000);
      expect(counts.feeds, 'feed requests').to.equal(1);
      expect(counts.sockets, 'sockets').to.equal(1);
      expect(shown(el)).to.deep.equal([id]);
      expect(el.state).to.equal('live');
    });
  });

  it('elements with different poll intervals share one client, which polls at the shortest asked', async () => {
    const user = uniqueUser('interval');
    const first = await sendCard(user, { blocks: [{ type: 'headline', content: 'First' }] });
    const api = await platformUrl();
    await counting(async (counts) => {
      const slow = await element((e) => {
        e.apiBase = api;
        e.sessionDelegate = delegateFor(user);
        e.transport = 'polling';
        e.pollInterval = 60_000;
      });
      const quick = await element((e) => {
        e.apiBase = api;
        e.sessionDelegate = delegateFor(user);
        e.transport = 'polling';
        e.pollInterval = 1000;
      });
      await until(() => shown(slow).length && shown(quick).length, 'both streams');
      expect(counts.feeds, 'one client: one feed read for both').to.equal(1);
      const second = await sendCard(user, { blocks: [{ type: 'headline', content: 'Second' }] });
      // On a client of its own the 60 s element would not poll again within the minute.
      await until(() => shown(slow).includes(second), "the 60 s element shows the new card at the shared client's 1 s", 4000);
      expect(shown(quick)).to.include(second);
      expect(shown(slow)).to.include(first);
    });
  });

  it('two users on one page: each element shows its own user\'s cards', async () => {
    const [ada, bob] = [uniqueUser('ada'), uniqueUser('bob')];
    const [forAda, forBob] = [await sendCard(ada, { blocks: [{ type: 'headline', content: 'Ada' }] }), await sendCard(bob, { blocks: [{ type: 'headline', content: 'Bob' }] })];
    const api = await platformUrl();
    const a = await element((e) => {
      e.apiBase = api;
      e.sessionDelegate = delegateFor(ada);
    });
    const b = await element((e) => {
      e.apiBase = api;
      e.sessionDelegate = delegateFor(bob);
    });
    await until(() => shown(a).length && shown(b).length, 'both streams');
    expect(shown(a)).to.deep.equal([forAda]);
    expect(shown(b)).to.deep.equal([forBob]);
  });

  it('no session within 5 s: unauthorized, with the reason, and one console warning', async () => {
    warnings.length = 0;
    const el = await element(async (e) => {
      e.apiBase = await platformUrl();
    });
    const states = watch(el);
    const started = Date.now();
    const state = await until(() => states.find((s) => s.state === 'unauthorized'), 'unauthorized', 8000);
    expect(Date.now() - started).to.be.within(4000, 7000);
    expect(state.reason).to.match(/sessionDelegate or session-url/);
    expect(warnings.filter((w) => w.includes('card-stream: unauthorized'))).to.have.length(1);
  });

  it('a delegate that throws, or tokens the platform refuses: unauthorized, saying which', async () => {
    const api = await platformUrl();
    const throwing = await element((e) => {
      e.apiBase = api;
      e.sessionDelegate = () => Promise.reject(new Error('login expired'));
    });
    const thrown = watch(throwing);
    const refused = await element((e) => {
      e.apiBase = api;
      e.sessionDelegate = async () => 'not-a-token-the-platform-signed';
    });
    const refusals = watch(refused);
    expect((await until(() => thrown.find((s) => s.state === 'unauthorized'), 'throwing: unauthorized')).reason).to.match(/session delegate failed: login expired/);
    expect((await until(() => refusals.find((s) => s.state === 'unauthorized'), 'refused: unauthorized')).reason).to.match(/refused the session token/);
  });

  it('session-url: the token comes from the host backend (JSON or text) and the cards show', async () => {
    const api = await platformUrl();
    for (const as of ['json', 'text']) {
      const user = uniqueUser(`url-${as}`);
      const id = await sendCard(user, { blocks: [{ type: 'headline', content: 'From a session URL' }] });
      const el = await element((e) => {
        e.apiBase = api;
        e.setAttribute('session-url', `/__cs/session?user=${encodeURIComponent(user)}${as === 'text' ? '&as=text' : ''}`);
      });
      await until(() => shown(el).includes(id), `the card (${as})`);
      el.remove();
    }
  });

  it('a page under a strict CSP embeds the feed with the script file and the element alone', async function () {
    if ((await fetch('/packages/card-stream/dist/card-stream.iife.js', { method: 'HEAD' })).status !== 200) this.skip(); // not built
    const user = uniqueUser('noscript');
    const id = await sendCard(user, { blocks: [{ type: 'headline', content: 'No script' }] });
    const frame = document.createElement('iframe');
    frame.src = `/__cs/no-script-host.html?api=${encodeURIComponent(await platformUrl())}&user=${encodeURIComponent(user)}`;
    document.body.append(frame);
    try {
      const inner = () => frame.contentDocument?.querySelector('card-stream')?.shadowRoot;
      await until(() => inner()?.querySelector(`[data-card-id="${id}"]`), 'the card in the framed page', 10_000);
      const policy = (await fetch(frame.src)).headers.get('content-security-policy')!;
      expect(policy).to.include("script-src 'self'").and.not.include('unsafe');
      expect(frame.contentDocument!.querySelectorAll('script:not([src])')).to.have.length(0);
    } finally {
      frame.remove();
    }
  });
});

// Unit tests of the pieces that need no platform: ordering, markdown, URLs, runtime
// variables, block rendering, the outbox and the session cache.
import { expect } from '@open-wc/testing';
import { html, render } from 'lit';
import type { Block } from '../../packages/protocol/src/definition.js';
import type { SdkCard } from '../../packages/protocol/src/sdk.js';
import { Outbox, type OutboxEntry } from '../../packages/card-stream/src/client/outbox.js';
import { SocketSequence } from '../../packages/card-stream/src/client/sequence.js';
import { Session, decodeClaims } from '../../packages/card-stream/src/client/session.js';
import { EventBatcher } from '../../packages/card-stream/src/client/uploads.js';
import { buildEvent } from '../../packages/card-stream/src/client/analytics.js';
import { CardStore, compareCards } from '../../packages/card-stream/src/client/store.js';
import { fillText, fillUrl, needsVars, resolveVars } from '../../packages/card-stream/src/client/vars.js';
import { renderBlock, type BlockContext } from '../../packages/card-stream/src/render/blocks.js';
import { markdown, type InlineFill } from '../../packages/card-stream/src/render/markdown.js';
import { MEDIA_SCHEMES, safeUrl } from '../../packages/card-stream/src/render/url.js';

function card(id: string, priority: number, activeSince: string | null, extra: Partial<SdkCard> = {}): SdkCard {
  return {
    cardInstanceId: id,
    lifecycleId: `l-${id}`,
    cardTemplateId: 't',
    cardTemplateName: 'T',
    cardTemplateVersion: 1,
    eventSource: 'live',
    streamId: 'default',
    priority,
    status: 'active',
    definition: { blocks: [] },
    runtimeVariables: {},
    created: '2026-01-01T00:00:00Z',
    updated: '2026-01-01T00:00:00Z',
    activeSince,
    ...extra,
  };
}

const fill: InlineFill = { text: (s) => fillText(s, { who: '**Eve**' }), link: (u) => safeUrl(fillUrl(u, { q: 'a b&c' })) };

function mount(content: unknown): HTMLElement {
  const host = document.createElement('div');
  render(content, host);
  return host;
}

describe('store', () => {
  it('orders by priority, then newest activeSince, then cardInstanceId', () => {
    const cards = [
      card('b', 5, '2026-01-01T00:00:00Z'),
      card('a', 5, '2026-01-01T00:00:00Z'),
      card('c', 5, '2026-01-02T00:00:00Z'),
      card('d', 1, '2025-01-01T00:00:00Z'),
    ];
    expect([...cards].sort(compareCards).map((c) => c.cardInstanceId)).to.deep.equal(['d', 'c', 'a', 'b']);
  });

  it('keeps one copy per card id, the latest', () => {
    const store = new CardStore();
    store.reset([card('a', 5, null), card('b', 5, null)]);
    store.upsert(card('a', 1, null));
    store.upsert(card('a', 2, null));
    expect(store.list().map((c) => [c.cardInstanceId, c.priority])).to.deep.equal([
      ['a', 2],
      ['b', 5],
    ]);
    expect(store.remove('b')).to.equal(true);
    expect(store.list().map((c) => c.cardInstanceId)).to.deep.equal(['a']);
  });
});

describe('markdown', () => {
  it('renders bold, italic, links and lists as elements', () => {
    const el = mount(markdown('Hi **bold** and *it* and _it2_ [docs](https://example.com/x)\n\n- one\n- two\n\n1. first', fill));
    expect(el.querySelector('strong')!.textContent).to.equal('bold');
    expect([...el.querySelectorAll('em')].map((e) => e.textContent)).to.deep.equal(['it', 'it2']);
    const a = el.querySelector('a')!;
    expect(a.getAttribute('href')).to.equal('https://example.com/x');
    expect(a.getAttribute('rel')).to.include('noopener');
    expect([...el.querySelectorAll('ul li')].map((e) => e.textContent)).to.deep.equal(['one', 'two']);
    expect(el.querySelector('ol li')!.textContent).to.equal('first');
  });

  it('keeps raw HTML and other syntax as text', () => {
    const el = mount(markdown('<img src=x onerror="window.__pwned=1"> <script>window.__pwned=1</script> # not a heading', fill));
    expect(el.querySelector('img, script, h1')).to.equal(null);
    expect(el.textContent).to.include('<img src=x onerror="window.__pwned=1">');
  });

  it('drops javascript: and data: links but keeps their text', () => {
    const el = mount(markdown('[a](javascript:alert(1)) [b](data:text/html,hi) [c](mailto:a@b.c)', fill));
    const hrefs = [...el.querySelectorAll('a')].map((a) => a.getAttribute('href'));
    expect(hrefs).to.deep.equal(['mailto:a@b.c']);
    expect(el.textContent).to.include('a').and.include('b');
  });

  it('fills runtime variables after parsing: a value never becomes syntax; in a url it is encoded', () => {
    const el = mount(markdown('Hello !{who} [go](https://x.test/?q=!{q})', fill));
    expect(el.querySelector('strong')).to.equal(null);
    expect(el.textContent).to.include('Hello **Eve**');
    expect(el.querySelector('a')!.getAttribute('href')).to.equal('https://x.test/?q=a%20b%26c');
  });
});

describe('urls', () => {
  it('allows http, https and mailto links; media only http(s)', () => {
    expect(safeUrl('https://a.test/x')).to.equal('https://a.test/x');
    expect(safeUrl('mailto:x@y.z')).to.equal('mailto:x@y.z');
    expect(safeUrl(' javascript:alert(1)')).to.equal(undefined);
    expect(safeUrl('JaVaScRiPt:alert(1)')).to.equal(undefined);
    expect(safeUrl('/relative')).to.equal(undefined);
    expect(safeUrl('mailto:x@y.z', MEDIA_SCHEMES)).to.equal(undefined);
    expect(safeUrl('data:image/png;base64,AAAA', MEDIA_SCHEMES)).to.equal(undefined);
  });
});

describe('runtime variables', () => {
  const withVars = card('v1', 5, null, {
    runtimeVariables: { name: 'friend', city: 'Paris' },
    definition: { blocks: [{ type: 'headline', content: 'Hi !{name}' }] },
  });

  it('knows which cards need them', () => {
    expect(needsVars(withVars)).to.equal(true);
    expect(needsVars(card('plain', 5, null))).to.equal(false);
  });

  it('takes string answers over the defaults, defaults for missing or non-string values', async () => {
    let calls = 0;
    const values = await resolveVars([withVars], async (cards) => {
      calls++;
      expect(cards).to.deep.equal([{ cardInstanceId: 'v1', cardTemplateId: 't', runtimeVariables: { name: 'friend', city: 'Paris' } }]);
      return { v1: { name: 'Ada', city: 42 as unknown as string } };
    });
    expect(calls).to.equal(1);
    expect(values.get('v1')).to.deep.equal({ name: 'Ada', city: 'Paris' });
  });

  it('falls back to the defaults when the callback is too slow or throws', async () => {
    const started = Date.now();
    const slow = await resolveVars([withVars], () => new Promise(() => undefined), 200);
    expect(Date.now() - started).to.be.within(150, 2000);
    expect(slow.get('v1')).to.deep.equal({ name: 'friend', city: 'Paris' });
    const failing = await resolveVars([withVars], async () => {
      throw new Error('host failed');
    });
    expect(failing.get('v1')).to.deep.equal({ name: 'friend', city: 'Paris' });
  });

  it('fills text plainly and URL-encodes inside urls', () => {
    expect(fillText('Hi !{name}!', { name: '<b>x</b>' })).to.equal('Hi <b>x</b>!');
    expect(fillUrl('https://x.test/?n=!{name}', { name: 'a/b c' })).to.equal('https://x.test/?n=a%2Fb%20c');
    expect(fillText('!{missing}.', {})).to.equal('.');
  });
});

describe('blocks', () => {
  const pressed: string[] = [];
  const ctx: BlockContext = {
    level: 3,
    error: (name) => (name === 'age' ? 'Fill this in.' : undefined),
    text: (s) => fillText(s, { n: 'Ada' }),
    link: (u) => safeUrl(u),
    media: (u) => safeUrl(u, MEDIA_SCHEMES),
    button: (_block, b) => html`<button part="button" data-button-id=${b.id} @click=${() => pressed.push(b.id)}>${b.label}</button>`,
    video: () => undefined,
  };
  const blocks: Block[] = [
    { type: 'headline', content: 'Hello !{n}' },
    { type: 'text', content: 'Small', size: 'sm', bold: true },
    { type: 'badge', label: 'New', variant: 'info' },
    { type: 'kv', rows: [{ key: 'Plan', value: 'Pro' }] },
    { type: 'image', url: 'https://img.test/a.png', alt: 'A picture', height: 'short' },
    { type: 'image', url: 'javascript:alert(1)', alt: 'bad' },
    { type: 'video', url: 'https://vid.test/a.mp4', poster: 'https://img.test/p.png' },
    { type: 'divider' },
    { type: 'input', name: 'age', kind: 'number', label: 'Age', required: true },
    { type: 'input', name: 'pick', kind: 'select', label: 'Pick', options: ['x', 'y'] },
    { type: 'input', name: 'ok', kind: 'checkbox', label: 'OK?' },
    { type: 'button', buttons: [{ id: 'b1', label: 'Go' }] },
  ];

  it('renders every block type', () => {
    const el = mount(blocks.map((b) => renderBlock(b, ctx)));
    expect(el.querySelector('h3')!.textContent).to.equal('Hello Ada');
    expect(el.querySelector('.text.sm.bold')!.textContent!.trim()).to.equal('Small');
    expect(el.querySelector('.badge')!.textContent).to.equal('New');
    expect(el.querySelector('dt')!.textContent).to.equal('Plan');
    expect(el.querySelector('dd')!.textContent).to.equal('Pro');
    const imgs = el.querySelectorAll('img');
    expect(imgs.length, 'the javascript: image is not rendered').to.equal(1);
    expect(imgs[0]!.getAttribute('alt')).to.equal('A picture');
    expect(el.querySelector('video')!.getAttribute('poster')).to.equal('https://img.test/p.png');
    expect(el.querySelector('hr')).to.not.equal(null);
    const age = el.querySelector<HTMLInputElement>('input[name="age"]')!;
    expect([age.type, age.required]).to.deep.equal(['number', true]);
    expect(age.getAttribute('aria-invalid'), 'an input with an error').to.equal('true');
    expect(el.querySelector(`#${age.getAttribute('aria-describedby')}`)!.textContent).to.equal('Fill this in.');
    expect(el.querySelector('select[name="pick"]')!.hasAttribute('aria-invalid'), 'one without').to.equal(false);
    expect([...el.querySelectorAll('select[name="pick"] option')].map((o) => o.textContent)).to.deep.equal(['—', 'x', 'y']);
    expect(el.querySelector<HTMLInputElement>('input[name="ok"]')!.type).to.equal('checkbox');
    el.querySelector<HTMLButtonElement>('[data-button-id="b1"]')!.click();
    expect(pressed).to.deep.equal(['b1']);
  });

  it('renders the headline at the context\'s level, clamped to 1–6', () => {
    const headline: Block = { type: 'headline', content: 'H' };
    const tags = [1, 2, 4, 6, 0, 9, -3].map((level) => mount(renderBlock(headline, { ...ctx, level })).querySelector('.headline')!.tagName);
    expect(tags).to.deep.equal(['H1', 'H2', 'H4', 'H6', 'H2', 'H6', 'H1']);
  });
});

describe('outbox', () => {
  const entry = (id: string, hides?: string): OutboxEntry => ({ id, path: `/x/${id}`, body: { id }, ...(hides ? { hides } : {}) });
  const ids = async (o: Outbox) => (await o.entries()).map((e) => e.id);

  it('keeps entries until the send gets an answer, in order, and survives a reload', async () => {
    const key = `test-outbox-${Math.random()}`;
    let online = false;
    const sent: string[] = [];
    const send = async (e: OutboxEntry) => {
      if (!online) return 'retry' as const;
      sent.push(e.id);
      return 'sent' as const;
    };
    const first = new Outbox(key, send);
    await first.add(entry('a', 'card-1'));
    await first.add(entry('b'));
    await first.flush();
    expect(sent).to.deep.equal([]);
    expect((await first.entries()).map((e) => e.hides)).to.deep.equal(['card-1', undefined]);

    // A new page: the stored entries come back.
    const second = new Outbox(key, send);
    expect(await ids(second)).to.deep.equal(['a', 'b']);
    online = true;
    await Promise.all([second.flush(), second.flush()]);
    expect(sent, 'each entry sent once, in order').to.deep.equal(['a', 'b']);
    expect(await ids(new Outbox(key, send))).to.deep.equal([]);
  });

  it('two outboxes on one key (two tabs) keep each other\'s entries', async () => {
    const key = `test-outbox-${Math.random()}`;
    const never = async () => 'retry' as const;
    const [tab1, tab2] = [new Outbox(key, never), new Outbox(key, never)];
    await Promise.all([tab1.add(entry('one')), tab2.add(entry('two')), tab1.add(entry('three'))]);
    expect((await ids(tab1)).sort()).to.deep.equal(['one', 'three', 'two']);
    expect((await ids(tab2)).sort()).to.deep.equal(['one', 'three', 'two']);
  });
});

describe('session', () => {
  const jwt = (claims: object) => `h.${btoa(JSON.stringify(claims)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.s`;

  it('caches a token until it nears expiry and shares concurrent refreshes', async () => {
    let calls = 0;
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const session = new Session(async () => {
      calls++;
      return jwt({ sub: 'u1', exp });
    });
    const [a, b] = await Promise.all([session.token(), session.token()]);
    expect(a).to.equal(b);
    await session.token();
    expect(calls).to.equal(1);
    expect(session.userId).to.equal('u1');
    expect(decodeClaims(a).exp).to.equal(exp);
    session.stop();
  });

  it('keeps a short-lived token for the first three quarters of its life', async () => {
    let calls = 0;
    const now = Math.floor(Date.now() / 1000);
    const session = new Session(async () => {
      calls++;
      return jwt({ sub: 'u1', iat: now, exp: now + 40 });
    });
    await session.token();
    await session.token();
    expect(calls).to.equal(1);
    session.stop();
  });

  it('asks again for a token that is about to expire', async () => {
    let calls = 0;
    const session = new Session(async () => {
      calls++;
      return jwt({ sub: 'u1', exp: Math.floor(Date.now() / 1000) + 30 });
    });
    await session.token();
    await session.token();
    expect(calls).to.equal(2);
    session.stop();
  });
});

describe('socket sequence', () => {
  it('applies changes in order, skips repeats, and asks once to fill a gap', () => {
    const seq = new SocketSequence();
    seq.reset(10);
    expect(seq.accept(11)).to.equal('apply');
    expect(seq.accept(11), 'a repeat').to.equal('skip');
    expect(seq.accept(9)).to.equal('skip');
    expect(seq.accept(14), '12 and 13 are missing').to.equal('gap');
    expect(seq.accept(15), 'already resuming').to.equal('skip');
    expect(seq.last).to.equal(11);
    expect(seq.accept(12)).to.equal('apply');
    expect(seq.accept(13)).to.equal('apply');
    expect(seq.accept(14)).to.equal('apply');
    expect(seq.last).to.equal(14);
  });

  it('takes the first change as the starting point when it has none', () => {
    const seq = new SocketSequence();
    expect(seq.accept(42)).to.equal('apply');
    expect(seq.last).to.equal(42);
  });
});

describe('event batches', () => {
  it('hands on at most 100 events at a time, in order, without endUserId or platformContext', async () => {
    const batches: { id: string }[][] = [];
    const batcher = new EventBatcher(async (batch) => void batches.push(batch));
    const events = Array.from({ length: 230 }, () => buildEvent('stream-displayed', 'u1', { streamId: 'default' }));
    for (const e of events) batcher.push(e);
    await batcher.drain();
    expect(batches.map((b) => b.length)).to.deep.equal([100, 100, 30]);
    expect(batches.flat().map((e) => e.id)).to.deep.equal(events.map((e) => e.id));
    expect(Object.keys(batches[0]![0]!)).to.not.include.members(['endUserId', 'platformContext']);
  });

  it('builds events with every context of the seed', () => {
    const e = buildEvent('card-displayed', 'u1', { streamId: 's', displayMode: 'single' });
    expect(e.endUserId).to.equal('u1');
    expect(e.sdkContext).to.include({ platform: 'Web', containerId: 's' });
    expect(e.eventContext.actionSource).to.equal('user');
    expect(String(e.eventContext.userLocalTimestamp)).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    expect(e.streamContext).to.include({ displayMode: 'single', streamId: 's' });
    expect(e.cardContext).to.deep.equal({});
    expect(e.id).to.match(/^[0-9a-f-]{36}$/);
  });
});

describe('own keys only', () => {
  it('a runtime variable named like an inherited property fills nothing', () => {
    expect(fillText('[!{constructor}][!{toString}][!{__proto__}]', {})).to.equal('[][][]');
    expect(fillUrl('https://x.test/?v=!{constructor}', {})).to.equal('https://x.test/?v=');
  });
});

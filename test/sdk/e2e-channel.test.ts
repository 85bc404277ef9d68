// <card-stream channel="…"> against the real platform: a public channel shown without a
// session token, live, with its buttons recorded as interactions.
import { expect } from '@open-wc/testing';
import type { CardStreamElement } from '../../packages/card-stream/src/index.js';
import { defineElements } from '../../packages/card-stream/src/index.js';
import { api, platformUrl, sdkApiAvailable, until } from './support/platform.js';

const shown = (el: CardStreamElement) => [...el.shadowRoot!.querySelectorAll('[part~="card"]')].map((c) => c.getAttribute('data-card-id'));
const card = (el: CardStreamElement, id: string) => el.shadowRoot!.querySelector(`[data-card-id="${id}"]`)!.shadowRoot!;

describe('e2e: channels', function () {
  let el: CardStreamElement | undefined;
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
    const probe = await api('GET', '/api/v1/channels');
    if (probe.status === 404) this.skip(); // the platform has no channels yet
    defineElements();
  });
  afterEach(() => el?.remove());

  it('shows a channel without a token, newest first, live; buttons without an action record interactions', async () => {
    const channel = (await api('POST', '/api/v1/channels', { name: `SDK ${Date.now()}` })).body.id as string;
    const post = async (blocks: unknown[], status?: string) => {
      const res = await api('POST', `/api/v1/channels/${channel}/cards`, { blocks, ...(status ? { status } : {}) });
      expect(res.status).to.equal(201);
      return res.body.id as string;
    };
    const first = await post([
      { type: 'headline', content: 'Deploy !{x}' },
      { type: 'button', id: 'btns', buttons: [{ id: 'ack', label: 'Ack' }] },
    ]);
    const states: string[] = [];
    el = document.createElement('card-stream');
    el.setAttribute('channel', channel);
    el.setAttribute('api-base', await platformUrl());
    el.addEventListener('cs-state', (e) => states.push(e.detail.state));
    document.body.append(el);
    const view = el;
    await until(() => shown(view).length === 1, 'the first card');
    expect(card(view, first).querySelector('[part~="menu-button"]'), 'no menu on channel cards').to.equal(null);
    await until(() => states.includes('live'), 'live');

    const second = await post([{ type: 'headline', content: 'Second' }], 'success');
    await until(() => JSON.stringify(shown(view)) === JSON.stringify([second, first]), 'newest first');
    expect(view.shadowRoot!.querySelector(`[data-card-id="${second}"]`)!.getAttribute('tone')).to.equal('success');

    const headlineId = (await api('GET', `/api/v1/channels/${channel}/cards`)).body.data.find((c: any) => c.id === second).blocks[0].id;
    const patched = await api('PATCH', `/api/v1/channels/${channel}/cards/${second}`, { blocks: [{ id: headlineId, patch: { content: 'Second, edited' } }] });
    expect(patched.status).to.equal(200);
    await until(() => card(view, second).querySelector('.headline')?.textContent === 'Second, edited', 'the edit, live');

    card(view, first).querySelector<HTMLElement>('[data-button-id="ack"]')!.click();
    const interactions = await until(async () => {
      const res = await api('GET', `/api/v1/channels/${channel}/interactions`);
      return res.body.data.length === 1 && res.body.data;
    }, 'interaction recorded');
    expect(interactions[0]).to.include({ card_id: first, block_id: 'btns', button_id: 'ack' });

    expect((await api('DELETE', `/api/v1/channels/${channel}/cards/${second}`)).status).to.equal(204);
    await until(() => JSON.stringify(shown(view)) === JSON.stringify([first]), 'the deletion, live');
  });
});

// A fuzz test of the stream against the real platform, in Chromium (issue 14): seeded random
// sequences of sends (some that expire), dismisses in the page and through the Cards API,
// snoozes, socket drops and stretches of polling. After each step settles, the cards on
// screen (in order), `cs-count.total` and a `<card-count>` in a frame (another tab's client,
// following the stream's socket) equal the platform's truth, with no card twice. FUZZ_SEEDS (e.g. 5,6,7) and FUZZ_STEPS in the test runner's environment change
// the run (default 3 seeds of 200 steps; a seed of 200 takes about 30 s, and a test file has
// 180 s in all, testsFinishTimeout).
import { expect } from '@open-wc/testing';
import { defineElements } from '../../packages/card-stream/src/index.js';
import { framedCount } from './support/frame.js';
import { mount, type Mounted } from './support/mount.js';
import { api, fuzzRun, mintToken, newNetwork, platformUrl, sdkApiAvailable, sleep, uniqueUser, type Network } from './support/platform.js';

const { seeds: SEEDS, steps: STEPS } = await fuzzRun({ seeds: [11, 23, 37], steps: 200 });

/** mulberry32: a small seeded PRNG, so a failing sequence can be run again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The platform's truth: the user's active cards in display order. */
async function truth(token: string): Promise<string[]> {
  const res = await fetch(`${await platformUrl()}/v1/sdk/streams/default/cards?limit=5000`, { headers: { authorization: `Bearer ${token}` } });
  return ((await res.json()) as { cards: { cardInstanceId: string }[] }).cards.map((c) => c.cardInstanceId);
}

describe('fuzz: the stream equals the platform after every step', function () {
  this.timeout(600_000);
  let template = '';
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
    defineElements();
    const created = await api('POST', '/v1/card-templates', { name: 'Fuzz', definition: { blocks: [{ type: 'headline', content: 'Card {{n}}' }] } });
    await api('POST', `/v1/card-templates/${created.body.id}/publish`);
    template = created.body.id;
  });

  for (const seed of SEEDS) {
    it(`seed ${seed}: ${STEPS} steps`, async () => {
      const rand = random(seed);
      const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(rand() * list.length)];
      const user = uniqueUser(`fuzz${seed}`);
      const token = await mintToken(user);
      const network: Network = await newNetwork();
      const m: Mounted = await mount(user, { apiBase: network.url, pollInterval: 1000 });
      m.el.pageSize = 1000;
      // In a frame, so it has a client of its own, which follows the stream's socket as a tab would.
      const count = await framedCount(network.url, user);
      const log: string[] = [];
      let sent = 0;
      const send = async (extra: Record<string, unknown> = {}) => {
        const res = await api('POST', `/v1/action-flows/${template}/start`, {
          flows: [{ target: { type: 'user', targetUserIds: [user] }, payload: { variables: { n: String(sent++) }, cardOptions: { priority: 1 + Math.floor(rand() * 10), ...extra } } }],
        });
        if (res.status !== 201) throw new Error(`send: ${res.status}`);
      };
      /** Waits until screen, counts and truth agree; fails with the step log when they never do. */
      const settle = async (step: number) => {
        const end = Date.now() + 15_000;
        let last = '';
        for (;;) {
          const expected = await truth(token);
          const ids = m.ids();
          const total = m.counts.at(-1)?.total;
          const counted = count.count();
          if (JSON.stringify(ids) === JSON.stringify(expected) && total === expected.length && counted === expected.length) return;
          last = `screen ${ids.length} ${JSON.stringify(ids.slice(0, 5))}…, truth ${expected.length} ${JSON.stringify(expected.slice(0, 5))}…, cs-count ${total}, card-count ${counted}, duplicates ${ids.length - new Set(ids).size}`;
          if (Date.now() > end) throw new Error(`seed ${seed}, step ${step} did not settle: ${last}\n${log.slice(-8).join('\n')}`);
          await sleep(100);
        }
      };
      try {
        for (let i = 0; i < 5; i++) await send();
        for (let step = 0; step < STEPS; step++) {
          const roll = rand();
          const shown = m.ids();
          if (roll < 0.35) {
            log.push(`${step}: send`);
            await send();
          } else if (roll < 0.42) {
            log.push(`${step}: send, expiring in 2 s`);
            await send({ expiresInterval: 'PT2S' });
          } else if (roll < 0.55 && shown.length) {
            const id = pick(shown) as string;
            log.push(`${step}: dismiss in the page ${id}`);
            const card = m.card(id);
            (card.shadowRoot.querySelector('[part~="menu-button"]') as HTMLElement).click();
            await sleep(30);
            const item = card.shadowRoot.querySelector('[part~="menu-item"][data-action="dismiss"]') as HTMLElement | null;
            if (item) item.click();
            else (card.shadowRoot.querySelector('[part~="menu-button"]') as HTMLElement).click();
          } else if (roll < 0.68 && shown.length) {
            const id = pick(shown) as string;
            log.push(`${step}: dismiss through the Cards API ${id}`);
            await api('PUT', `/v1/cards/dismiss?cardInstanceId=${id}`);
          } else if (roll < 0.78 && shown.length) {
            const id = pick(shown) as string;
            log.push(`${step}: snooze through the Cards API ${id}`);
            await api('PUT', `/v1/cards/snooze?cardInstanceId=${id}`, { interval: rand() < 0.5 ? 'PT1H' : 'PT2S' });
          } else if (roll < 0.84) {
            log.push(`${step}: socket drop`);
            await network.set('offline');
            await sleep(200);
            await network.set('online');
            window.dispatchEvent(new Event('online'));
          } else if (roll < 0.88) {
            log.push(`${step}: polling (no WebSocket) for a while`);
            await network.set('no-websocket');
            await send();
            await sleep(1500);
            await network.set('online');
            window.dispatchEvent(new Event('online'));
          } else {
            log.push(`${step}: wait`);
            await sleep(300);
          }
          await settle(step);
          const ids = m.ids();
          expect(ids.length, 'no card twice').to.equal(new Set(ids).size);
        }
      } finally {
        m.remove();
        count.remove();
        await network.set('online');
      }
    });
  }
});

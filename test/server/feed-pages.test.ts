// Feed pages (CONTRACT §8a, docs/protocol.md "The feed"): `limit` and `after` walk a stream
// of more than one page in display order, each answer carries the stream's true `total`,
// `limit=0` answers the count alone, and bad pages are clear 400s; on SQLite and PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { closeServer, endUserToken, openServer, publishedTemplate, STORE_KINDS, type TestServer, type TestStore } from './harness.js';

const CARDS = 1203;

interface FeedCard {
  cardInstanceId: string;
  priority: number;
  activeSince: string;
}

/** Display order (CONTRACT §6): priority, newest active first, then id. */
const displayOrder = (a: FeedCard, b: FeedCard) =>
  a.priority - b.priority || Date.parse(b.activeSince) - Date.parse(a.activeSince) || (a.cardInstanceId < b.cardInstanceId ? -1 : 1);

for (const kind of STORE_KINDS) {
  describe(`feed pages (${kind})`, () => {
    let store: TestStore;
    let server: TestServer;
    let token: string;
    let user: string;
    const feed = (query = '', headers: Record<string, string> = {}) =>
      fetch(`${server.url}/v1/sdk/streams/default/cards${query}`, { headers: { authorization: `Bearer ${token}`, ...headers } });

    before(async () => {
      ({ store, server } = await openServer(kind));
      user = `pages-${randomUUID()}`;
      token = await endUserToken(server, user);
      const template = await publishedTemplate(server);
      // Many flows to one user: one card each, priorities 1 to 10.
      for (let from = 0; from < CARDS; from += 600) {
        const flows = Array.from({ length: Math.min(600, CARDS - from) }, (_, i) => ({
          target: { type: 'user', targetUserIds: [user] },
          payload: { variables: { name: `#${from + i}` }, cardOptions: { priority: ((from + i) % 10) + 1 } },
        }));
        const res = await server.api('POST', `/v1/action-flows/${template}/start`, { flows });
        assert.equal(res.status, 201, JSON.stringify(res.body).slice(0, 300));
      }
    });
    after(() => closeServer(server, store));

    test('pages of the stream in display order, each with the true total, the last with nextCursor null', async () => {
      const first = (await (await feed()).json()) as { cards: FeedCard[]; total: number; nextCursor: string | null };
      assert.equal(first.cards.length, 500, 'the default page');
      assert.equal(first.total, CARDS);
      assert.equal(first.nextCursor, first.cards.at(-1)?.cardInstanceId);
      const all: FeedCard[] = [...first.cards];
      let next: string | null = first.nextCursor;
      while (next) {
        const page = (await (await feed(`?limit=400&after=${next}`)).json()) as typeof first;
        assert.equal(page.total, CARDS);
        all.push(...page.cards);
        next = page.nextCursor;
      }
      assert.equal(all.length, CARDS);
      assert.equal(new Set(all.map((c) => c.cardInstanceId)).size, CARDS, 'no card twice');
      assert.deepEqual(all.map((c) => c.cardInstanceId), [...all].sort(displayOrder).map((c) => c.cardInstanceId), 'in display order');
      const whole = (await (await feed('?limit=5000')).json()) as typeof first;
      assert.deepEqual(whole.cards.map((c) => c.cardInstanceId), all.map((c) => c.cardInstanceId), 'one page of 5,000 holds the same');
      assert.equal(whole.nextCursor, null);
    });

    test('a page after a card that has left the stream starts where it stood; limit=0 counts; each page has its own ETag', async () => {
      const first = (await (await feed('?limit=10')).json()) as { cards: FeedCard[]; total: number };
      const tenth = first.cards[9] as FeedCard;
      const dismissed = await server.api('PUT', `/v1/cards/dismiss?cardInstanceId=${tenth.cardInstanceId}`);
      assert.equal(dismissed.status, 200, JSON.stringify(dismissed.body));
      const after10 = (await (await feed(`?limit=5&after=${tenth.cardInstanceId}`)).json()) as { cards: FeedCard[]; total: number };
      const now = (await (await feed('?limit=15')).json()) as { cards: FeedCard[] };
      assert.deepEqual(after10.cards.map((c) => c.cardInstanceId), now.cards.slice(9, 14).map((c) => c.cardInstanceId));
      const count = await feed('?limit=0');
      const counted = (await count.json()) as { cards: unknown[]; total: number; nextCursor: null };
      assert.deepEqual([counted.cards.length, counted.total, counted.nextCursor], [0, CARDS - 1, null]);
      const [a, b] = [await feed('?limit=10'), await feed('?limit=20')];
      assert.notEqual(a.headers.get('etag'), b.headers.get('etag'));
      assert.equal((await feed('?limit=10', { 'if-none-match': a.headers.get('etag') as string })).status, 304);
    });

    test('a filter is applied by the platform: its pages and total are the filtered stream\'s', async () => {
      const q = (filter: unknown, extra = '') => feed(`?filter=${encodeURIComponent(JSON.stringify(filter))}${extra}`);
      const all = (await (await feed('?limit=5000')).json()) as { cards: (FeedCard & { cardTemplateName: string; created: string })[] };
      const urgent = all.cards.filter((c) => c.priority <= 3);
      const filtered = (await (await q([{ field: 'priority', op: 'lte', value: 3 }], '&limit=100')).json()) as { cards: FeedCard[]; total: number; nextCursor: string | null };
      assert.equal(filtered.total, urgent.length);
      assert.deepEqual(filtered.cards.map((c) => c.cardInstanceId), urgent.slice(0, 100).map((c) => c.cardInstanceId));
      const next = (await (await q([{ field: 'priority', op: 'lte', value: 3 }], `&limit=100&after=${filtered.nextCursor}`)).json()) as { cards: FeedCard[] };
      assert.deepEqual(next.cards.map((c) => c.cardInstanceId), urgent.slice(100, 200).map((c) => c.cardInstanceId));
      const byVariable = (await (await q([{ field: 'variables.name', op: 'in', value: ['#5', '#15', '#nope'] }])).json()) as { total: number };
      assert.equal(byVariable.total, 2);
      const between = (await (await q([{ field: 'priority', op: 'between', value: [2, 3] }, { field: 'cardTemplateName', op: 'eq', value: 'Greeting' }])).json()) as { total: number };
      assert.equal(between.total, all.cards.filter((c) => c.priority === 2 || c.priority === 3).length);
      const none = (await (await q([{ field: 'created', op: 'lt', value: '2001-01-01T00:00:00Z' }])).json()) as { total: number; cards: unknown[] };
      assert.deepEqual([none.total, none.cards.length], [0, 0]);
      for (const [filter, named] of [
        [[{ field: 'colour', op: 'eq', value: 'red' }], /filter\[0\]: field/],
        [[{ field: 'priority', op: 'eq', value: 'high' }], /filter\[0\]: value must be a whole number/],
        [[{ field: 'priority', op: 'lte', value: 3 }, { field: 'priority', op: 'between', value: [1] }], /filter\[1\]: "between"/],
        ['not json', /JSON list/],
      ] as const) {
        const res = await feed(`?filter=${encodeURIComponent(typeof filter === 'string' ? filter : JSON.stringify(filter))}`);
        assert.equal(res.status, 400);
        const body = (await res.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'invalid_filter');
        assert.match(body.error.message, named);
      }
    });

    test('unseen: the active cards no card-displayed has recorded for the user; each card says whether it was seen', async () => {
      const before = (await (await feed('?limit=3')).json()) as { cards: (FeedCard & { seen?: boolean })[]; total: number; unseen: number };
      assert.equal(before.unseen, before.total, 'nothing displayed yet');
      const [a, b] = before.cards as [FeedCard, FeedCard];
      const events = [a, b, a].map((card) => ({ id: randomUUID(), analyticsEvent: 'card-displayed', timestamp: new Date().toISOString(), cardContext: { cardInstanceId: card.cardInstanceId } }));
      const uploaded = await fetch(`${server.url}/v1/sdk/events`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
      const answer = (await uploaded.json()) as { accepted: number };
      assert.equal(answer.accepted, 3, JSON.stringify(answer));
      const after = (await (await feed('?limit=3')).json()) as typeof before;
      assert.equal(after.unseen, before.total - 2, 'two cards displayed (one of them twice)');
      assert.deepEqual(after.cards.map((c) => c.seen ?? false), [true, true, false]);
      const filtered = (await (await feed(`?filter=${encodeURIComponent(JSON.stringify([{ field: 'priority', op: 'eq', value: a.priority }]))}&limit=0`)).json()) as { total: number; unseen: number };
      assert.equal(filtered.unseen, filtered.total - (a.priority === b.priority ? 2 : 1), 'per filter');
    });

    test('bad pages are 400s that name the field', async () => {
      for (const [query, code] of [
        ['?limit=5001', 'invalid_limit'],
        ['?limit=ten', 'invalid_request'],
        [`?after=${randomUUID()}`, 'invalid_cursor'],
      ] as const) {
        const res = await feed(query);
        assert.equal(res.status, 400, query);
        const body = (await res.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, code, `${query}: ${JSON.stringify(body)}`);
        assert.match(body.error.message, /limit|after/, 'the message names the field');
      }
      // Another user's card is not a place in this stream.
      const other = `other-${randomUUID()}`;
      const template = await publishedTemplate(server);
      const theirs = (await server.api('POST', `/v1/action-flows/${template}/start`, { flows: [{ target: { type: 'user', targetUserIds: [other] }, payload: { variables: { name: 'x' } } }] })).body.cards[0].cardInstanceId;
      assert.equal((await feed(`?after=${theirs}`)).status, 400);
    });
  });
}

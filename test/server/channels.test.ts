// Channels (CONTRACT §5, seed 004) against a real listening server: the API, the patch
// rules on the seed's own examples, the daily limit, interactions, and live viewers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CLOSE_CODES } from '../../packages/protocol/src/sdk.js';
import { closeServer, freshStore, openServer, sleep, startServer, STORE_KINDS, type TestServer, type TestStore } from './harness.js';
import { TestSocket } from './sockets.js';

/** The seed's "Create Card" example, with the ids its patch examples use. */
const seedCard = () => ({
  status: 'success',
  blocks: [
    { type: 'text', id: 'text-block-id', content: 'Order #1234 processed', size: 'lg', bold: true },
    { type: 'badge', id: 'badge-block-id', label: 'Completed', variant: 'success' },
    {
      type: 'kv',
      id: 'kv-block-id',
      rows: [
        { key: 'Customer', value: 'Jane Smith' },
        { key: 'Total', value: '$89.99' },
        { key: 'Items', value: '3' },
      ],
    },
    {
      type: 'button',
      id: 'button-block-id',
      buttons: [
        { id: 'view', label: 'View Order', style: 'primary' },
        { id: 'refund-btn', label: 'Refund', style: 'danger' },
      ],
    },
  ],
});

for (const kind of STORE_KINDS) {
  describe(`channels (${kind})`, () => {
    let store: TestStore;
    let server: TestServer;
    const sockets: TestSocket[] = [];

    before(async () => ({ store, server } = await openServer(kind, { channelDailyCardLimit: 1000 })));
    after(async () => {
      for (const socket of sockets) socket.close();
      await closeServer(server, store);
    });

    const newChannel = async (name = 'Orders') => {
      const res = await server.api('POST', '/api/v1/channels', { name });
      assert.equal(res.status, 201);
      return res.body.id as string;
    };
    const newCard = async (channelId: string, body: unknown = seedCard()) => {
      const res = await server.api('POST', `/api/v1/channels/${channelId}/cards`, body);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };
    const cardsOf = async (channelId: string) => (await server.api('GET', `/api/v1/channels/${channelId}/cards`)).body.data;
    const watch = async (channelId: string) => {
      const socket = await TestSocket.open(server.url);
      sockets.push(socket);
      socket.send({ type: 'channel', channelId });
      await socket.waitFor((m) => m.type === 'channel-ready');
      return socket;
    };

    test('create a channel and a card; blocks without an id get one; list and delete channels', async () => {
      const channelId = await newChannel();
      assert.match(channelId, /^[0-9a-f-]{36}$/);
      const created = await server.api('POST', `/api/v1/channels/${channelId}/cards`, {
        blocks: [{ type: 'headline', content: 'Hi' }, { type: 'divider' }],
      });
      assert.equal(created.status, 201);
      assert.deepEqual(Object.keys(created.body).sort(), ['channel_id', 'created_at', 'id']);
      const [card] = await cardsOf(channelId);
      assert.equal(card.status, 'default');
      assert.ok(card.blocks.every((b: { id: string }) => /^[0-9a-f-]{36}$/.test(b.id)));
      assert.notEqual(card.blocks[0].id, card.blocks[1].id);

      const listed = (await server.api('GET', '/api/v1/channels?limit=200')).body.data.map((c: { id: string }) => c.id);
      assert.ok(listed.includes(channelId));
      assert.equal((await server.api('DELETE', `/api/v1/channels/${channelId}`)).status, 204);
      assert.equal((await server.api('GET', `/api/v1/channels/${channelId}/cards`)).status, 404);
      assert.equal((await server.api('DELETE', `/api/v1/channels/${channelId}`)).status, 404);
    });

    test("channel cards take §6's blocks but input, and buttons with link, custom or no action", async () => {
      const channelId = await newChannel();
      for (const blocks of [
        [{ type: 'input', name: 'q', kind: 'text', label: 'Q' }],
        [{ type: 'button', buttons: [{ id: 'b', label: 'Go', action: { type: 'submit' } }] }],
        [{ type: 'button', buttons: [{ id: 'b', label: 'Go', action: { type: 'dismiss' } }] }],
        [{ type: 'text', id: 'same', content: 'a' }, { type: 'text', id: 'same', content: 'b' }],
        [],
      ]) {
        const res = await server.api('POST', `/api/v1/channels/${channelId}/cards`, { blocks });
        assert.equal(res.status, 400, JSON.stringify(blocks));
      }
      assert.deepEqual(await cardsOf(channelId), []);
      await newCard(channelId, { blocks: [{ type: 'button', buttons: [{ id: 'l', label: 'Open', action: { type: 'link', url: 'https://example.com' } }, { id: 'c', label: 'Do', action: { type: 'custom', payload: { x: 1 } } }] }] });
    });

    test("every patch rule, on the seed's own examples", async () => {
      const channelId = await newChannel();
      const cardId = await newCard(channelId);
      const patch = (body: unknown) => server.api('PATCH', `/api/v1/channels/${channelId}/cards/${cardId}`, body);
      const block = (body: { blocks: { id: string }[] }, id: string) => body.blocks.find((b) => b.id === id) as any;

      // Patching a text block: only the listed field changes.
      let res = await patch({ blocks: [{ id: 'text-block-id', patch: { content: 'Order #1234 shipped!' } }] });
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body).sort(), ['blocks', 'channel_id', 'id', 'status', 'updated_at']);
      assert.deepEqual(block(res.body, 'text-block-id'), { type: 'text', id: 'text-block-id', content: 'Order #1234 shipped!', size: 'lg', bold: true });
      assert.deepEqual(block(res.body, 'badge-block-id'), seedCard().blocks[1], 'blocks not listed are unchanged');

      // Patching a badge block.
      res = await patch({ blocks: [{ id: 'badge-block-id', patch: { label: 'Shipped', variant: 'success' } }] });
      assert.equal(block(res.body, 'badge-block-id').label, 'Shipped');

      // KV append_rows adds; rows overwrites.
      res = await patch({ blocks: [{ id: 'kv-block-id', patch: { append_rows: [{ key: 'Tracking', value: '1Z999AA1...' }] } }] });
      assert.deepEqual(block(res.body, 'kv-block-id').rows.map((r: { key: string }) => r.key), ['Customer', 'Total', 'Items', 'Tracking']);
      res = await patch({ blocks: [{ id: 'kv-block-id', patch: { rows: [{ key: 'Status', value: 'Delivered' }] } }] });
      assert.deepEqual(block(res.body, 'kv-block-id').rows, [{ key: 'Status', value: 'Delivered' }]);

      // Buttons patched one by one by id; the others stay.
      res = await patch({ blocks: [{ id: 'button-block-id', patch: { buttons: [{ id: 'refund-btn', patch: { label: 'Refunded', disabled: true, style: 'secondary' } }] } }] });
      assert.deepEqual(block(res.body, 'button-block-id').buttons, [
        { id: 'view', label: 'View Order', style: 'primary' },
        { id: 'refund-btn', label: 'Refunded', style: 'secondary', disabled: true },
      ]);

      // Status alone.
      res = await patch({ status: 'warning' });
      assert.equal(res.body.status, 'warning');

      // The full update example: status and two blocks at once.
      res = await patch({
        status: 'success',
        blocks: [
          { id: 'badge-block-id', patch: { label: 'Delivered', variant: 'success' } },
          { id: 'button-block-id', patch: { buttons: [{ id: 'view', patch: { disabled: true } }] } },
        ],
      });
      assert.equal(res.body.status, 'success');
      assert.equal(block(res.body, 'badge-block-id').label, 'Delivered');
      assert.equal(block(res.body, 'button-block-id').buttons[0].disabled, true);

      // Refusals change nothing, even when an earlier patch in the request was fine.
      const before = (await cardsOf(channelId))[0];
      for (const body of [
        { status: 'error', blocks: [{ id: 'text-block-id', patch: { content: 'x' } }, { id: 'no-such-block', patch: { content: 'y' } }] },
        { blocks: [{ id: 'button-block-id', patch: { buttons: [{ id: 'no-such-button', patch: { label: 'x' } }] } }] },
        { blocks: [{ id: 'kv-block-id', patch: { rows: [], append_rows: [] } }] },
        { blocks: [{ id: 'badge-block-id', patch: { label: 42 } }] },
        { blocks: [{ id: 'badge-block-id', patch: { type: 'text' } }] },
        { status: 'purple' },
      ]) {
        const refused = await patch(body);
        assert.equal(refused.status, 400, JSON.stringify(body));
      }
      const unknownBlock = await patch({ blocks: [{ id: 'no-such-block', patch: {} }] });
      assert.match(unknownBlock.body.error.message, /no-such-block/);
      assert.deepEqual((await cardsOf(channelId))[0], before);
      assert.equal((await server.api('PATCH', `/api/v1/channels/${channelId}/cards/${randomUUID()}`, { status: 'error' })).status, 404);
    });

    test('cards and interactions page newest first by cursor', async () => {
      const channelId = await newChannel();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await newCard(channelId, { blocks: [{ type: 'headline', content: `#${i}` }] }));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } = await server.api(
          'GET',
          `/api/v1/channels/${channelId}/cards?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        assert.equal(page.status, 200);
        assert.ok(page.body.data.length <= 2);
        seen.push(...page.body.data.map((c) => c.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, [...ids].reverse());
      assert.equal((await server.api('GET', `/api/v1/channels/${channelId}/cards?cursor=nonsense`)).status, 400);
      assert.equal((await server.api('GET', `/api/v1/channels/${channelId}/cards?limit=201`)).status, 400);
    });

    test('interactions: recorded for buttons without an action, kept with card_id null after the card is deleted', async () => {
      const channelId = await newChannel();
      const cardId = await newCard(channelId, {
        blocks: [{ type: 'button', id: 'btns', buttons: [{ id: 'ack', label: 'Acknowledge' }, { id: 'go', label: 'Go', action: { type: 'link', url: 'https://example.com' } }] }],
      });
      const press = (buttonId: string, blockId = 'btns') =>
        server.api('POST', `/v1/sdk/channels/${channelId}/cards/${cardId}/interactions`, { blockId, buttonId }, null);
      const pressed = await press('ack');
      assert.equal(pressed.status, 201);
      assert.equal((await press('go')).status, 400, 'a button with an action records nothing');
      assert.equal((await press('nope')).status, 404);
      let listed = (await server.api('GET', `/api/v1/channels/${channelId}/interactions`)).body.data;
      assert.deepEqual(listed.map((i: Record<string, unknown>) => [i.id, i.card_id, i.block_id, i.button_id]), [[pressed.body.id, cardId, 'btns', 'ack']]);
      assert.equal((await server.api('DELETE', `/api/v1/channels/${channelId}/cards/${cardId}`)).status, 204);
      listed = (await server.api('GET', `/api/v1/channels/${channelId}/interactions`)).body.data;
      assert.deepEqual(listed.map((i: Record<string, unknown>) => [i.id, i.card_id]), [[pressed.body.id, null]]);
      assert.equal((await server.api('DELETE', `/api/v1/channels/${channelId}/cards/${cardId}`)).status, 404);
    });

    test('interactions from one address are rate-limited', async () => {
      const channelId = await newChannel();
      const cardId = await newCard(channelId, { blocks: [{ type: 'button', id: 'btns', buttons: [{ id: 'ack', label: 'OK' }] }] });
      const statuses: number[] = [];
      for (let i = 0; i < 31; i++) {
        const res = await server.api('POST', `/v1/sdk/channels/${channelId}/cards/${cardId}/interactions`, { blockId: 'btns', buttonId: 'ack' }, null);
        statuses.push(res.status);
        if (res.status === 429) assert.ok(Number(res.headers.get('retry-after')) > 0);
      }
      assert.deepEqual(statuses, [...Array(30).fill(201), 429]);
    });

    test('viewers see inserts, patches and deletes live; other channels see nothing', async () => {
      const [channelId, otherId] = [await newChannel(), await newChannel('Other')];
      const viewer = await watch(channelId);
      const other = await watch(otherId);
      const cardId = await newCard(channelId);
      const inserted = await viewer.waitFor((m) => m.type === 'channel-card' && m.op === 'upsert');
      assert.equal(inserted.type === 'channel-card' && inserted.op === 'upsert' && inserted.card.id, cardId);
      await server.api('PATCH', `/api/v1/channels/${channelId}/cards/${cardId}`, { blocks: [{ id: 'badge-block-id', patch: { label: 'Shipped' } }] });
      const patched = await viewer.waitFor((m) => m.type === 'channel-card' && m.op === 'upsert' && m.card.blocks.some((b) => b.type === 'badge' && b.label === 'Shipped'));
      assert.ok(patched);
      await server.api('DELETE', `/api/v1/channels/${channelId}/cards/${cardId}`);
      assert.deepEqual(await viewer.waitFor((m) => m.type === 'channel-card' && m.op === 'delete'), { type: 'channel-card', channelId, op: 'delete', cardId });
      await sleep(100);
      assert.deepEqual(other.messages.map((m) => m.type), ['channel-ready']);

      // Deleting the channel tells its viewers and lets them go.
      await server.api('DELETE', `/api/v1/channels/${channelId}`);
      await viewer.waitFor((m) => m.type === 'channel-deleted');
      assert.equal((await viewer.closed).code, CLOSE_CODES.channelNotFound);
      const nowhere = await TestSocket.open(server.url);
      sockets.push(nowhere);
      nowhere.send({ type: 'channel', channelId: randomUUID() });
      assert.equal((await nowhere.closed).code, CLOSE_CODES.channelNotFound);
    });

    test('the public feed (ETag / 304) and the page at /c/{id} need no login', async () => {
      const channelId = await newChannel('Deploys <prod>');
      const cardId = await newCard(channelId);
      const feed = await server.api('GET', `/v1/sdk/channels/${channelId}/cards`, undefined, null);
      assert.equal(feed.status, 200);
      assert.equal(feed.body.name, 'Deploys <prod>');
      assert.deepEqual(feed.body.cards.map((c: { id: string }) => c.id), [cardId]);
      const etag = feed.headers.get('etag') as string;
      assert.equal((await server.api('GET', `/v1/sdk/channels/${channelId}/cards`, undefined, null, { 'if-none-match': etag })).status, 304);
      await newCard(channelId);
      assert.equal((await server.api('GET', `/v1/sdk/channels/${channelId}/cards`, undefined, null, { 'if-none-match': etag })).status, 200);

      const page = await fetch(`${server.url}/c/${channelId}`);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, new RegExp(`<card-stream channel="${channelId}"`));
      assert.match(html, /Deploys &lt;prod&gt;/);
      assert.doesNotMatch(html, /<script>(?!<)/, 'no inline script');
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
      assert.equal((await fetch(`${server.url}/c/${randomUUID()}`)).status, 404);
    });
  });
}

describe('the channel daily card limit', () => {
  test('the card over the limit gets 429 with Retry-After; deleting a card does not give its place back', async () => {
    const store = await freshStore('sqlite');
    const server = await startServer(store.options, { channelDailyCardLimit: 3 });
    try {
      const channelId = (await server.api('POST', '/api/v1/channels', { name: 'Small' })).body.id;
      const create = () => server.api('POST', `/api/v1/channels/${channelId}/cards`, { blocks: [{ type: 'headline', content: 'x' }] });
      const first = await create();
      await create();
      await create();
      const over = await create();
      assert.equal(over.status, 429);
      assert.equal(over.body.error.code, 'daily_card_limit');
      const retryAfter = Number(over.headers.get('retry-after'));
      assert.ok(retryAfter > 0 && retryAfter <= 86_400, `Retry-After ${retryAfter}`);
      await server.api('DELETE', `/api/v1/channels/${channelId}/cards/${first.body.id}`);
      assert.equal((await create()).status, 429);
      const other = (await server.api('POST', '/api/v1/channels', { name: 'Other' })).body.id;
      assert.equal((await server.api('POST', `/api/v1/channels/${other}/cards`, { blocks: [{ type: 'divider' }] })).status, 201, 'the limit is per channel');
    } finally {
      await closeServer(server, store);
    }
  });
});

describe('channel viewers across servers on one PostgreSQL', { skip: !process.env.DATABASE_URL && 'DATABASE_URL is not set' }, () => {
  test('a card created through server A reaches a viewer on server B', async () => {
    const store = await freshStore('postgres');
    const a = await startServer(store.options);
    const b = await startServer(store.options);
    try {
      const channelId = (await a.api('POST', '/api/v1/channels', { name: 'Shared' })).body.id;
      const viewer = await TestSocket.open(b.url);
      viewer.send({ type: 'channel', channelId });
      await viewer.waitFor((m) => m.type === 'channel-ready');
      const cardId = (await a.api('POST', `/api/v1/channels/${channelId}/cards`, seedCard())).body.id;
      const inserted = await viewer.waitFor((m) => m.type === 'channel-card');
      assert.ok(inserted.type === 'channel-card' && inserted.op === 'upsert' && inserted.card.id === cardId);
      await a.api('DELETE', `/api/v1/channels/${channelId}/cards/${cardId}`);
      await viewer.waitFor((m) => m.type === 'channel-card' && m.op === 'delete');
      viewer.close();
    } finally {
      await a.close();
      await b.close();
      await store.drop();
    }
  });
});

// The Cards API of CONTRACT §4 against a real listening server, on each store.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { endUserToken, freshStore, publishedTemplate, send, startServer, STORE_KINDS, type TestServer, type TestStore, openServer, closeServer } from './harness.js';
import { CardListSchema } from '../../packages/protocol/src/cards.js';
import { SdkFeedSchema } from '../../packages/protocol/src/sdk.js';

/** The first way `value` is not `schema`'s, or undefined. */
const notOf = (schema: TSchema, value: unknown) => {
  const first = Value.Errors(schema, value).First();
  return first && `${first.path}: ${first.message}`;
};

for (const kind of STORE_KINDS) {
  describe(`Cards API (${kind})`, () => {
    let store: TestStore;
    let server: TestServer;
    let templateId: string;

    before(async () => {
      ({ store, server } = await openServer(kind));
      templateId = await publishedTemplate(server);
    });
    after(() => closeServer(server, store));

    test("the card list and the SDK feed are their schemas' JSON, optional fields and all (written as text, not by the schemas' serializer)", async () => {
      const user = `shape-${randomUUID()}`;
      const payload = { variables: { name: 'Ada "<b>' }, metadata: { campaign: 7, nested: { list: [1, 'two', null] } }, cardOptions: { expiresInterval: 'P2D' } };
      const [done, shown] = await Promise.all([send(server, templateId, [user], payload), send(server, templateId, [user], payload)]).then((sent) =>
        sent.map((res) => res.body.cards[0] as { cardInstanceId: string; lifecycleId: string }),
      );
      assert.equal((await server.api('PUT', `/v1/cards/complete?lifecycleId=${done?.lifecycleId}`, { quantity: 2 })).status, 200);
      const token = await endUserToken(server, user);
      const displayed = { id: randomUUID(), analyticsEvent: 'card-displayed', timestamp: new Date().toISOString(), cardContext: { cardInstanceId: shown?.cardInstanceId } };
      assert.equal((await server.api('POST', '/v1/sdk/events', { events: [displayed] }, token)).status, 200);

      const list = await server.api('GET', `/v1/cards?userId=${user}`);
      assert.equal(list.status, 200);
      assert.match(String(list.headers.get('content-type')), /^application\/json/);
      assert.equal(notOf(CardListSchema, list.body), undefined);
      const completed = list.body.data.find((c: { cardInstanceId: string }) => c.cardInstanceId === done?.cardInstanceId);
      assert.deepEqual([completed.status, completed.completion.payload, typeof completed.expiresAt], ['completed', { quantity: 2 }, 'string']);
      assert.deepEqual(completed.payload.metadata, { campaign: 7, nested: { list: [1, 'two', null] } });
      assert.equal(completed.definition.blocks[0].content, 'Hello Ada "<b>');

      const feed = await server.api('GET', '/v1/sdk/streams/default/cards', undefined, token);
      assert.equal(feed.status, 200);
      assert.match(String(feed.headers.get('content-type')), /^application\/json/);
      assert.equal(notOf(SdkFeedSchema, feed.body), undefined);
      assert.deepEqual(feed.body.cards.map((c: { cardInstanceId: string; seen?: boolean }) => [c.cardInstanceId, c.seen]), [[shown?.cardInstanceId, true]]);
      assert.deepEqual([feed.body.total, feed.body.unseen, feed.body.nextCursor], [1, 0, null]);
    });

    const statusOf = async (cardInstanceId: string) =>
      (await server.api('GET', `/v1/cards?cardInstanceId=${cardInstanceId}`)).body.data[0].status as string;

    test('a sent card comes back with every attribute of the contract', async () => {
      const sent = await send(server, templateId, ['attr-user'], { variables: { name: 'Ada' }, metadata: { campaign: 7 } });
      assert.equal(sent.status, 201);
      const ids = sent.body.cards[0];
      const res = await server.api('GET', '/v1/cards?userId=attr-user&status=active');
      assert.equal(res.status, 200);
      assert.equal(res.body.data.length, 1);
      const card = res.body.data[0];
      assert.deepEqual(
        Object.keys(card).sort(),
        ['cardInstanceId', 'cardTemplateId', 'cardTemplateName', 'cardTemplateVersion', 'created', 'definition', 'eventName', 'eventSource',
          'flowInstanceId', 'flowInvocationId', 'lifecycleId', 'payload', 'priority', 'status', 'streamId', 'updated', 'userId'].sort(),
      );
      assert.equal(card.cardInstanceId, ids.cardInstanceId);
      assert.equal(card.lifecycleId, ids.lifecycleId);
      assert.equal(card.flowInvocationId, sent.body.flowInvocationId);
      assert.equal(card.eventSource, 'live');
      assert.equal(card.definition.blocks[0].content, 'Hello Ada');
      assert.deepEqual(card.payload.detail, { name: 'Ada' });
      assert.deepEqual(card.payload.target, { usersById: ['attr-user'] });
      assert.deepEqual(card.payload.metadata, { campaign: 7 });
      assert.equal(card.priority, 5);
      for (const [attribute, value] of Object.entries({
        lifecycleId: card.lifecycleId,
        cardTemplateId: card.cardTemplateId,
        cardInstanceId: card.cardInstanceId,
        flowInstanceId: card.flowInstanceId,
        flowInvocationId: card.flowInvocationId,
        eventName: '',
      })) {
        const q = await server.api('GET', `/v1/cards?${attribute}=${encodeURIComponent(value)}&userId=attr-user`);
        assert.equal(q.status, 200, attribute);
        assert.ok(q.body.data.some((c: { cardInstanceId: string }) => c.cardInstanceId === card.cardInstanceId), attribute);
      }
      const none = await server.api('GET', '/v1/cards?userId=attr-user&status=dismissed');
      assert.deepEqual(none.body.data, []);
    });

    test('limit, offset, order and count', async () => {
      const sent = await send(server, templateId, Array.from({ length: 7 }, (_, i) => `page-${i}`));
      const invocation = sent.body.flowInvocationId;
      const all = await server.api('GET', `/v1/cards?flowInvocationId=${invocation}`);
      assert.equal(all.body.data.length, 7);
      const keys = all.body.data.map((c: { created: string; cardInstanceId: string }) => `${c.created}|${c.cardInstanceId}`);
      assert.deepEqual(keys, [...keys].sort(), 'ordered by created, then cardInstanceId');
      const page = await server.api('GET', `/v1/cards?flowInvocationId=${invocation}&limit=3&offset=2`);
      assert.deepEqual(page.body.data.map((c: { cardInstanceId: string }) => c.cardInstanceId), all.body.data.slice(2, 5).map((c: { cardInstanceId: string }) => c.cardInstanceId));
      const count = await server.api('GET', `/v1/cards/count?flowInvocationId=${invocation}`);
      assert.deepEqual(count.body, { total: 7 });
      const tooMany = await server.api('GET', '/v1/cards?limit=1001');
      assert.equal(tooMany.status, 400);
      assert.match(tooMany.body.error.message, /limit/);
    });

    test('dismiss by lifecycleId, then a retry is harmless and complete is refused with the state named', async () => {
      const sent = await send(server, templateId, ['dismiss-user']);
      const { lifecycleId, cardInstanceId } = sent.body.cards[0];
      const first = await server.api('PUT', `/v1/cards/dismiss?lifecycleId=${lifecycleId}`);
      assert.equal(first.status, 200);
      assert.deepEqual(first.body.summary, { total: 1, updated: 1 });
      assert.equal(first.body.data[0].action, 'dismiss');
      assert.equal(first.body.data[0].cardInstanceId, cardInstanceId);
      assert.equal(await statusOf(cardInstanceId), 'dismissed');

      const retry = await server.api('PUT', `/v1/cards/dismiss?lifecycleId=${lifecycleId}`);
      assert.equal(retry.status, 200);
      assert.deepEqual(retry.body.summary, { total: 0, updated: 0 });

      const complete = await server.api('PUT', `/v1/cards/complete?lifecycleId=${lifecycleId}`);
      assert.equal(complete.status, 409);
      assert.equal(complete.body.error.code, 'invalid_card_state');
      assert.match(complete.body.error.message, /dismissed/);
      assert.equal(await statusOf(cardInstanceId), 'dismissed');

      const missing = await server.api('PUT', '/v1/cards/dismiss?lifecycleId=no-such-card');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'no_matching_cards');
    });

    // PostgreSQL keeps these ids as uuid (store/uuid-columns.ts), where any string used to do;
    // SQLite keeps them as text. Both must answer alike, and neither with a 500.
    test('ids that are no UUIDs find no card, fail no request and answer the same on both stores', async () => {
      const user = `ids-${randomUUID()}`;
      const card = (await send(server, templateId, [user])).body.cards[0] as { cardInstanceId: string; lifecycleId: string };
      const upper = card.cardInstanceId.toUpperCase();
      const like = `zzzzzzzz-zzzz-7zzz-8zzz-${card.cardInstanceId.slice(-12)}`; // derivedId keeps what precedes the tail
      for (const query of [`cardInstanceId=nope`, `cardInstanceId=${upper}`, `cardTemplateId=nope`, `lifecycleId=${like}`, `flowInstanceId=${like}`, `flowInvocationId=${like}`]) {
        const res = await server.api('GET', `/v1/cards?${query}&userId=${user}`);
        assert.deepEqual([res.status, res.body.data], [200, []], query);
      }
      assert.equal((await server.api('GET', `/v1/cards?cardInstanceId=${card.cardInstanceId}`)).body.data.length, 1);
      for (const query of [`cardInstanceId=nope`, `cardInstanceId=${upper}`, `cardTemplateId=nope`]) {
        const res = await server.api('PUT', `/v1/cards/dismiss?${query}`);
        assert.deepEqual([res.status, res.body.error?.code], [404, 'no_matching_cards'], query);
      }
      assert.deepEqual((await server.api('POST', '/v1/cancel-jobs/preview', { criteria: { cardTemplateId: 'nope' } })).body, { matched: 0 });

      const token = await endUserToken(server, user);
      for (const id of ['nope', upper]) {
        const res = await server.api('POST', `/v1/sdk/cards/${id}/actions`, { id: randomUUID(), type: 'dismiss' }, token);
        assert.equal(res.status, 404, id);
      }
      const total = async (filter: unknown) => {
        const res = await server.api('GET', `/v1/sdk/streams/default/cards?filter=${encodeURIComponent(JSON.stringify(filter))}`, undefined, token);
        assert.equal(res.status, 200, JSON.stringify(filter));
        return res.body.total as number;
      };
      assert.equal(await total([{ field: 'cardTemplateId', op: 'eq', value: 'nope' }]), 0);
      assert.equal(await total([{ field: 'cardTemplateId', op: 'ne', value: 'nope' }]), 1);
      assert.equal(await total([{ field: 'cardTemplateId', op: 'in', value: ['nope', templateId] }]), 1);
      assert.equal(await total([{ field: 'cardTemplateId', op: 'notIn', value: ['nope'] }]), 1);
      // Ordered as text on both: every UUID sorts before "zzz", after "!".
      assert.equal(await total([{ field: 'cardTemplateId', op: 'gt', value: 'zzz' }]), 0);
      assert.equal(await total([{ field: 'cardTemplateId', op: 'gt', value: '!' }]), 1);
      for (const after of ['nope', upper]) {
        const res = await server.api('GET', `/v1/sdk/streams/default/cards?after=${after}`, undefined, token);
        assert.deepEqual([res.status, res.body.error?.code], [400, 'invalid_cursor'], after);
      }
      assert.equal(await statusOf(card.cardInstanceId), 'active', 'nothing changed the card');
    });

    test('without multiple=1 two eligible cards are refused and nothing changes', async () => {
      const sent = await send(server, templateId, ['multi-a', 'multi-b']);
      const invocation = sent.body.flowInvocationId;
      for (const action of ['dismiss', 'complete', 'cancel']) {
        const res = await server.api('PUT', `/v1/cards/${action}?flowInvocationId=${invocation}`);
        assert.equal(res.status, 400, action);
        assert.equal(res.body.error.code, 'multiple_matches');
      }
      const snooze = await server.api('PUT', `/v1/cards/snooze?flowInvocationId=${invocation}`, { interval: 'PT1H' });
      assert.equal(snooze.status, 400);
      const active = await server.api('GET', `/v1/cards/count?flowInvocationId=${invocation}&status=active`);
      assert.equal(active.body.total, 2);
      const events = await server.platform.services.store.db
        .selectFrom('analytics_events')
        .select('analytics_event')
        .where('card_instance_id', 'in', sent.body.cards.map((c: { cardInstanceId: string }) => c.cardInstanceId))
        .execute();
      assert.ok(!events.some((e) => /^card-(dismissed|completed|cancelled|snoozed)$/.test(e.analytics_event)));

      const both = await server.api('PUT', `/v1/cards/cancel?flowInvocationId=${invocation}&multiple=1`);
      assert.equal(both.status, 200);
      assert.deepEqual(both.body.summary, { total: 2, updated: 2 });
      const again = await server.api('PUT', `/v1/cards/cancel?flowInvocationId=${invocation}&multiple=1`);
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, { data: [], summary: { total: 0, updated: 0 } });
    });

    test('complete keeps its JSON payload on the card and in card-completed', async () => {
      const sent = await send(server, templateId, ['complete-user']);
      const { lifecycleId, cardInstanceId } = sent.body.cards[0];
      const res = await server.api('PUT', `/v1/cards/complete?lifecycleId=${lifecycleId}`, { quantity: 2, size: 'large' });
      assert.equal(res.status, 200);
      assert.equal(res.body.data[0].action, 'complete');
      const card = (await server.api('GET', `/v1/cards?cardInstanceId=${cardInstanceId}`)).body.data[0];
      assert.equal(card.status, 'completed');
      assert.deepEqual(card.completion.payload, { quantity: 2, size: 'large' });
      const [event] = await server.platform.services.analyticsEvents.page({ cardInstanceId, analyticsEvent: 'card-completed' }, 0, 10);
      const parsed = JSON.parse(event?.body as string);
      assert.deepEqual(parsed.properties.payload, { quantity: 2, size: 'large' });
      assert.equal(parsed.endUserId, 'complete-user');
      assert.equal(parsed.eventContext.actionSource, 'customer');
    });

    test('snooze by interval and until; a snoozed card can still be dismissed; bad times are refused', async () => {
      const sent = await send(server, templateId, ['snooze-user']);
      const { lifecycleId, cardInstanceId } = sent.body.cards[0];
      const bad = await server.api('PUT', `/v1/cards/snooze?lifecycleId=${lifecycleId}`, { until: 'tomorrow' });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /until/);
      const noBody = await server.api('PUT', `/v1/cards/snooze?lifecycleId=${lifecycleId}`);
      assert.equal(noBody.status, 400);
      // A day the calendar does not have is not the day after the month's last.
      const february30 = await server.api('PUT', `/v1/cards/snooze?lifecycleId=${lifecycleId}`, { until: '2030-02-30T00:00:00Z' });
      assert.equal(february30.status, 400);
      assert.match(february30.body.error.message, /until/);
      assert.equal(await statusOf(cardInstanceId), 'active');

      const res = await server.api('PUT', `/v1/cards/snooze?lifecycleId=${lifecycleId}`, { interval: 'PT1H' });
      assert.equal(res.status, 200);
      const card = (await server.api('GET', `/v1/cards?cardInstanceId=${cardInstanceId}`)).body.data[0];
      assert.equal(card.status, 'snoozed');
      const until = Date.parse(card.snoozedUntil);
      assert.ok(Math.abs(until - (Date.now() + 3_600_000)) < 10_000);

      const later = new Date(Date.now() + 7_200_000).toISOString();
      const resnooze = await server.api('PUT', `/v1/cards/snooze?lifecycleId=${lifecycleId}`, { until: later });
      assert.equal(resnooze.status, 200);
      assert.equal((await server.api('GET', `/v1/cards?cardInstanceId=${cardInstanceId}`)).body.data[0].snoozedUntil, later);

      const dismiss = await server.api('PUT', `/v1/cards/dismiss?lifecycleId=${lifecycleId}`);
      assert.equal(dismiss.status, 200);
      assert.equal(await statusOf(cardInstanceId), 'dismissed');
    });

    test('cancel takes any open state; dismiss refuses an embargoed card', async () => {
      const embargo = new Date(Date.now() + 3_600_000).toISOString();
      const sent = await send(server, templateId, ['embargo-user'], { variables: { name: 'x' }, cardOptions: { embargo } });
      const { lifecycleId, cardInstanceId, status } = sent.body.cards[0];
      assert.equal(status, 'embargoed');
      const dismiss = await server.api('PUT', `/v1/cards/dismiss?lifecycleId=${lifecycleId}`);
      assert.equal(dismiss.status, 409);
      assert.match(dismiss.body.error.message, /embargoed/);
      const cancel = await server.api('PUT', `/v1/cards/cancel?lifecycleId=${lifecycleId}`);
      assert.equal(cancel.status, 200);
      assert.equal(await statusOf(cardInstanceId), 'cancelled');
    });

    test('one cancel changes at most 500 cards, oldest first, and limit=1000 raises the cap', async () => {
      const bulkTemplate = await publishedTemplate(server);
      const first = await send(server, bulkTemplate, Array.from({ length: 600 }, (_, i) => `bulk-a-${i}`));
      const second = await send(server, bulkTemplate, Array.from({ length: 900 }, (_, i) => `bulk-b-${i}`));
      assert.equal(first.status, 201);
      assert.equal(second.status, 201);
      const oldest = new Set(first.body.cards.map((c: { cardInstanceId: string }) => c.cardInstanceId));

      const capped = await server.api('PUT', `/v1/cards/cancel?cardTemplateId=${bulkTemplate}&multiple=1`);
      assert.equal(capped.status, 200);
      assert.equal(capped.body.summary.updated, 500);
      assert.equal(capped.body.summary.total, 1500);
      assert.equal(capped.body.data.length, 500);
      assert.ok(capped.body.data.every((c: { cardInstanceId: string }) => oldest.has(c.cardInstanceId)), 'oldest cards go first');

      const raised = await server.api('PUT', `/v1/cards/cancel?cardTemplateId=${bulkTemplate}&multiple=1&limit=1000`);
      assert.equal(raised.status, 200);
      assert.equal(raised.body.summary.updated, 1000);

      const over = await server.api('PUT', `/v1/cards/cancel?cardTemplateId=${bulkTemplate}&multiple=1&limit=1001`);
      assert.equal(over.status, 400);
      assert.equal(over.body.error.code, 'invalid_limit');
      const rest = await server.api('PUT', `/v1/cards/cancel?cardTemplateId=${bulkTemplate}&multiple=1&limit=1000`);
      assert.deepEqual(rest.body.summary, { total: 0, updated: 0 }, 'nothing left after 500 + 1000');
      const none = await server.api('GET', `/v1/cards/count?cardTemplateId=${bulkTemplate}&status=active`);
      assert.equal(none.body.total, 0);
    });

    test('query mistakes are 400s that name the attribute', async () => {
      const unknown = await server.api('GET', '/v1/cards?colour=red');
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.error.message, /colour/);
      const status = await server.api('GET', '/v1/cards?status=open');
      assert.equal(status.status, 400);
      assert.match(status.body.error.message, /status/);
      const action = await server.api('PUT', '/v1/cards/dismiss?colour=red');
      assert.equal(action.status, 400);
      assert.match(action.body.error.message, /colour/);
    });
  });
}

describe('the first answers holding cards', () => {
  test("a server's first card list and feed answer in the time of any other (no serializer is compiled for them)", async () => {
    // A response schema's serializer compiled its checks of the block union on the first
    // answer holding a card: 70-90 ms each, measured, against 2-10 ms for any later one.
    const store = await freshStore('sqlite');
    const server = await startServer(store.options);
    try {
      const template = await publishedTemplate(server);
      assert.equal((await send(server, template, ['first-user'])).status, 201);
      const token = await endUserToken(server, 'first-user');
      const timed = async (answer: () => Promise<{ status: number }>) => {
        const started = performance.now();
        assert.equal((await answer()).status, 200);
        return performance.now() - started;
      };
      const list = await timed(() => server.api('GET', '/v1/cards?userId=first-user'));
      const feed = await timed(() => server.api('GET', '/v1/sdk/streams/default/cards', undefined, token));
      assert.ok(list < 45 && feed < 45, `the first list took ${list.toFixed(1)} ms, the first feed ${feed.toFixed(1)} ms`);
    } finally {
      await server.close();
      await store.drop();
    }
  });
});

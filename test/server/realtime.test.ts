// Realtime delivery (docs/protocol.md) with real sockets against a real listening server,
// on SQLite and, when DATABASE_URL is set, PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CLOSE_CODES } from '../../packages/protocol/src/sdk.js';
import { BOOTSTRAP_KEY, endUserToken, freshStore, publishedTemplate, send, sleep, startServer, STORE_KINDS, type TestServer, type TestStore, openServer, closeServer } from './harness.js';
import { TestSocket } from './sockets.js';

for (const kind of STORE_KINDS) {
  describe(`realtime delivery (${kind})`, () => {
    let store: TestStore;
    let server: TestServer;
    let templateId: string;
    const sockets: TestSocket[] = [];
    const connect = async (token: string, since?: number) => {
      const opened = await TestSocket.connect(server.url, token, since);
      sockets.push(opened.socket);
      return opened;
    };
    const user = () => `user-${randomUUID()}`;

    before(async () => {
      ({ store, server } = await openServer(kind, { realtime: { authTimeoutMs: 500 } }));
      templateId = await publishedTemplate(server);
    });
    after(async () => {
      for (const socket of sockets) socket.close();
      await closeServer(server, store);
    });

    test("an update reaches every socket of its user and no other user's", async () => {
      const [ada, bob] = [user(), user()];
      const adaOne = await connect(await endUserToken(server, ada));
      const adaTwo = await connect(await endUserToken(server, ada));
      const bobs = await connect(await endUserToken(server, bob));
      const sent = await send(server, templateId, [ada]);
      assert.equal(sent.status, 201);
      const cardId = sent.body.cards[0].cardInstanceId;
      for (const { socket } of [adaOne, adaTwo]) {
        const [change] = await socket.waitForChanges(1);
        assert.equal(change?.cardInstanceId, cardId);
        assert.equal(change?.status, 'active');
        assert.equal(change?.seq, 1);
        assert.equal(change?.card?.definition.blocks[0]?.type, 'headline');
      }
      // Bob's socket is live (his own card arrives) and Ada's never came before it.
      const bobCard = (await send(server, templateId, [bob])).body.cards[0].cardInstanceId;
      const bobChanges = await bobs.socket.waitForChanges(1);
      assert.deepEqual(bobChanges.map((c) => c.cardInstanceId), [bobCard]);
      await sleep(100);
      assert.equal(bobs.socket.changes().length, 1);
      assert.equal(adaOne.socket.changes().length, 1);
    });

    test("a card on the socket is the feed's card, with its definition, runtime variables and expiry", async () => {
      const ada = user();
      const created = await server.api('POST', '/v1/card-templates', {
        name: 'Balance',
        definition: { blocks: [{ type: 'headline', content: 'Hi {{name}}, "quoted" \u00e9 – !{balance}' }] },
        runtimeVariables: [{ name: 'balance', defaultValue: '0 €' }],
      });
      assert.equal(created.status, 201);
      assert.equal((await server.api('POST', `/v1/card-templates/${created.body.id}/publish`)).status, 200);
      const token = await endUserToken(server, ada);
      const { socket } = await connect(token);
      const sent = await send(server, created.body.id, [ada], { variables: { name: 'Ada <b>' }, cardOptions: { expiresInterval: 'P2D' } });
      assert.equal(sent.status, 201);
      const [change] = await socket.waitForChanges(1);
      const feed = await server.api('GET', '/v1/sdk/streams/default/cards', undefined, token);
      assert.equal(feed.status, 200);
      assert.equal(feed.body.cards.length, 1);
      assert.deepEqual(change?.card, feed.body.cards[0]);
      assert.deepEqual(change?.card?.runtimeVariables, { balance: '0 €' });
      assert.ok(change?.card?.expiresAt, 'the expiry is on the card');
    });

    test('a client away while 50 cards were sent and 10 dismissed resumes with exactly those changes', async () => {
      const ada = user();
      const token = await endUserToken(server, ada);
      const first = await connect(token);
      await send(server, templateId, [ada]);
      await first.socket.waitForChanges(1);
      const since = first.ready.seq + 1;
      first.socket.close();
      await first.socket.closed;

      const flows = Array.from({ length: 50 }, () => ({ target: { type: 'user', targetUserIds: [ada] }, payload: { variables: { name: 'Ada' } } }));
      const sent = await server.api('POST', `/v1/action-flows/${templateId}/start`, { flows });
      assert.equal(sent.status, 201);
      const ids: string[] = sent.body.cards.map((c: { cardInstanceId: string }) => c.cardInstanceId);
      const dismissed = ids.slice(0, 10);
      for (const id of dismissed) assert.equal((await server.api('PUT', `/v1/cards/dismiss?cardInstanceId=${id}`)).status, 200);

      const again = await connect(token, since);
      assert.equal(again.ready.seq, since + 60);
      const changes = await again.socket.waitForChanges(60);
      await sleep(150);
      assert.equal(again.socket.changes().length, 60, 'nothing more than the missed changes');
      assert.deepEqual(changes.map((c) => c.seq), Array.from({ length: 60 }, (_, i) => since + 1 + i), 'each sequence once, in order');
      assert.deepEqual(changes.slice(0, 50).map((c) => c.cardInstanceId).sort(), [...ids].sort());
      assert.ok(changes.slice(0, 50).every((c) => c.status === 'active' && c.card?.cardInstanceId === c.cardInstanceId));
      assert.deepEqual(changes.slice(50).map((c) => [c.cardInstanceId, c.status, c.card]), dismissed.map((id) => [id, 'dismissed', undefined]));
    });

    test('a resume from changes no longer kept is told to reload', async () => {
      const ada = user();
      const token = await endUserToken(server, ada);
      await send(server, templateId, [ada]);
      await send(server, templateId, [ada]);
      await server.platform.services.changeLog.prune(-1000); // forget every change
      const { socket } = await connect(token, 0);
      const reload = await socket.waitFor((m) => m.type === 'reload');
      assert.deepEqual(reload, { type: 'reload', seq: 2 });
      // Ahead of the server (e.g. a reset store): reload too.
      const ahead = await connect(token, 99);
      assert.deepEqual(await ahead.socket.waitFor((m) => m.type === 'reload'), { type: 'reload', seq: 2 });
      // Afterwards the socket carries on live.
      await send(server, templateId, [ada]);
      const [change] = await socket.waitForChanges(1);
      assert.equal(change?.seq, 3);
    });

    test('a resume across a change no longer kept, between changes still kept, is told to reload', async () => {
      // The changes that make cards are kept on the cards, the others as rows of the log
      // (change-log.ts): a log row gone between two cards still there is a gap all the same.
      const ada = user();
      const token = await endUserToken(server, ada);
      const first = (await send(server, templateId, [ada])).body.cards[0].cardInstanceId;
      assert.equal((await server.api('PUT', `/v1/cards/dismiss?cardInstanceId=${first}`)).status, 200);
      await send(server, templateId, [ada]);
      const { db } = server.platform.services.store;
      assert.equal(Number((await db.deleteFrom('card_changes').where('user_id', '=', ada).executeTakeFirst()).numDeletedRows), 1);
      const { socket } = await connect(token, 0);
      assert.deepEqual(await socket.waitFor((m) => m.type === 'reload'), { type: 'reload', seq: 3 });
      await sleep(100);
      assert.equal(socket.changes().length, 0, 'no change of the three was sent');
      // From after the gap, the card made last is still there to resume with.
      const { socket: after } = await connect(token, 2);
      const [made] = await after.waitForChanges(1);
      assert.deepEqual([made?.seq, made?.status], [3, 'active']);
    });

    test('wrong, expired and missing tokens close with their codes; a refresh keeps the socket', async () => {
      const ada = user();
      const wrong = await TestSocket.open(server.url);
      sockets.push(wrong);
      wrong.send({ type: 'auth', token: 'not-a-token' });
      assert.equal((await wrong.closed).code, CLOSE_CODES.tokenInvalid);

      const expiredToken = (await server.platform.services.tokens.issueEndUserToken(ada, -10)).token;
      const expired = await TestSocket.open(server.url);
      sockets.push(expired);
      expired.send({ type: 'auth', token: expiredToken });
      assert.equal((await expired.closed).code, CLOSE_CODES.tokenExpired);

      const silent = await TestSocket.open(server.url);
      sockets.push(silent);
      assert.equal((await silent.closed).code, CLOSE_CODES.authTimeout);

      const notFirst = await TestSocket.open(server.url);
      sockets.push(notFirst);
      notFirst.send({ type: 'ping' });
      assert.equal((await notFirst.closed).code, CLOSE_CODES.malformed);

      // A token that runs out while connected closes the socket with the expired code…
      // (Two seconds: `exp` is in whole seconds, so a one-second token may have milliseconds
      // left by the time it reaches the socket.)
      const short = await connect(await endUserToken(server, ada, 2));
      assert.equal((await short.socket.closed).code, CLOSE_CODES.tokenExpired);

      // …unless a fresh token for the same user arrives first.
      const refreshed = await connect(await endUserToken(server, ada, 2));
      refreshed.socket.send({ type: 'token', token: await endUserToken(server, ada) });
      await refreshed.socket.waitFor((m) => m.type === 'token-accepted');
      await sleep(2100);
      await send(server, templateId, [ada]);
      await refreshed.socket.waitForChanges(1);

      // A token for someone else is refused without delivering anything of theirs.
      refreshed.socket.send({ type: 'token', token: await endUserToken(server, user()) });
      assert.equal((await refreshed.socket.closed).code, CLOSE_CODES.userMismatch);
    });

    test('the feed answers If-None-Match with 304 until something changes', async () => {
      const ada = user();
      const token = await endUserToken(server, ada);
      const path = '/v1/sdk/streams/default/cards';
      const empty = await server.api('GET', path, undefined, token);
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.body, { userId: ada, streamId: 'default', seq: 0, cards: [], total: 0, unseen: 0, nextCursor: null });
      const etag = empty.headers.get('etag') as string;
      assert.ok(etag);
      const unchanged = await server.api('GET', path, undefined, token, { 'if-none-match': etag });
      assert.equal(unchanged.status, 304);
      assert.equal(unchanged.body, undefined);

      const high = (await send(server, templateId, [ada], { variables: { name: 'Ada' }, cardOptions: { priority: 1 } })).body.cards[0].cardInstanceId;
      const low = (await send(server, templateId, [ada], { variables: { name: 'Ada' }, cardOptions: { priority: 9 } })).body.cards[0].cardInstanceId;
      const changed = await server.api('GET', path, undefined, token, { 'if-none-match': etag });
      assert.equal(changed.status, 200);
      assert.notEqual(changed.headers.get('etag'), etag);
      assert.equal(changed.body.seq, 2);
      assert.deepEqual(changed.body.cards.map((c: { cardInstanceId: string }) => c.cardInstanceId), [high, low], 'priority order');
      // Another stream of the same user never matches this tag.
      const other = await server.api('GET', '/v1/sdk/streams/other/cards', undefined, token, { 'if-none-match': changed.headers.get('etag') as string });
      assert.equal(other.status, 200);
      assert.deepEqual(other.body.cards, []);
    });

    test("an action replayed with the same id applies once; another user's card is out of reach", async () => {
      const [ada, eve] = [user(), user()];
      const [adaToken, eveToken] = [await endUserToken(server, ada), await endUserToken(server, eve)];
      const voting = await publishedTemplate(server, { definition: { voting: 'both', blocks: [{ type: 'headline', content: 'Hello {{name}}' }] } });
      const cardId = (await send(server, voting, [ada])).body.cards[0].cardInstanceId;
      const { socket } = await connect(adaToken);

      // Eve can neither see nor act on Ada's card: it is answered as if it did not exist.
      const eveFeed = await server.api('GET', '/v1/sdk/streams/default/cards', undefined, eveToken);
      assert.deepEqual(eveFeed.body.cards, []);
      const eveDismiss = await server.api('POST', `/v1/sdk/cards/${cardId}/actions`, { id: randomUUID(), type: 'dismiss' }, eveToken);
      assert.equal(eveDismiss.status, 404);
      assert.equal(eveDismiss.body.error.code, 'card_not_found');

      const vote = { id: randomUUID(), type: 'vote', direction: 'down', reason: 'other', message: 'Not for me' };
      const dismiss = { id: randomUUID(), type: 'dismiss' };
      for (const body of [vote, dismiss]) {
        const first = await server.api('POST', `/v1/sdk/cards/${cardId}/actions`, body, adaToken);
        assert.equal(first.status, 200, JSON.stringify(first.body));
        assert.equal(first.body.applied, true);
        const replay = await server.api('POST', `/v1/sdk/cards/${cardId}/actions`, body, adaToken);
        assert.equal(replay.status, 200);
        assert.equal(replay.body.applied, false);
        assert.deepEqual(replay.body.card, first.body.card);
      }
      // The same id for Eve's own card is a conflict, not a replay.
      const eveCard = (await send(server, templateId, [eve])).body.cards[0].cardInstanceId;
      const reused = await server.api('POST', `/v1/sdk/cards/${eveCard}/actions`, dismiss, eveToken);
      assert.equal(reused.status, 409);
      assert.equal(reused.body.error.code, 'action_id_conflict');

      const card = (await server.api('GET', `/v1/cards?cardInstanceId=${cardId}`)).body.data[0];
      assert.equal(card.status, 'dismissed');
      const events = (await server.platform.services.analyticsEvents.page({ cardInstanceId: cardId }, 0, 100)).map((e) => JSON.parse(e.body));
      const names = events.map((e) => e.analyticsEvent);
      assert.equal(names.filter((n) => n === 'card-dismissed').length, 1);
      assert.equal(names.filter((n) => n === 'card-voted-down').length, 1);
      const voted = events.find((e) => e.analyticsEvent === 'card-voted-down');
      assert.equal(voted.id, vote.id);
      assert.deepEqual(voted.properties, { reason: 'other', message: 'Not for me' });
      assert.equal(voted.eventContext.actionSource, 'user');
      const changes = await socket.waitForChanges(1);
      await sleep(100);
      assert.deepEqual(socket.changes().map((c) => [c.cardInstanceId, c.status]), [[cardId, 'dismissed']]);
      assert.equal(changes.length, 1);
    });

    test('snooze and complete from the SDK; submitted values are checked against the inputs', async () => {
      const ada = user();
      const token = await endUserToken(server, ada);
      const formTemplate = await publishedTemplate(server, {
        name: 'Form',
        definition: {
          blocks: [
            { type: 'input', name: 'size', kind: 'select', label: 'Size', options: ['S', 'L'], required: true },
            { type: 'input', name: 'qty', kind: 'number', label: 'Quantity' },
            { type: 'button', buttons: [{ id: 'go', label: 'Order', action: { type: 'submit', payload: { sku: 'tee' } } }] },
          ],
        },
      });
      const [formCard, snoozeCard] = [
        (await send(server, formTemplate, [ada], {})).body.cards[0].cardInstanceId,
        (await send(server, templateId, [ada])).body.cards[0].cardInstanceId,
      ];
      const act = (cardId: string, body: Record<string, unknown>) =>
        server.api('POST', `/v1/sdk/cards/${cardId}/actions`, { id: randomUUID(), ...body }, token);

      for (const [values, field] of [[{ qty: 2 }, 'size'], [{ size: 'XL' }, 'size'], [{ size: 'S', qty: 'many' }, 'qty'], [{ size: 'S', colour: 'red' }, 'colour']] as const) {
        const bad = await act(formCard, { type: 'complete', values, payload: { sku: 'tee' }, buttonId: 'go' });
        assert.equal(bad.status, 400, JSON.stringify(values));
        assert.equal(bad.body.error.code, 'invalid_input');
        assert.match(bad.body.error.message, new RegExp(`"${field}"`));
      }
      assert.equal((await server.api('GET', `/v1/cards?cardInstanceId=${formCard}`)).body.data[0].status, 'active', 'a refused submit changes nothing');
      const done = await act(formCard, { type: 'complete', values: { size: 'L', qty: 2 }, payload: { sku: 'tee' }, buttonId: 'go' });
      assert.equal(done.status, 200);
      assert.equal(done.body.card.status, 'completed');
      const completed = (await server.api('GET', `/v1/cards?cardInstanceId=${formCard}`)).body.data[0];
      assert.deepEqual(completed.completion.payload, { sku: 'tee', size: 'L', qty: 2 });

      const snoozed = await act(snoozeCard, { type: 'snooze', interval: 'PT1H' });
      assert.equal(snoozed.body.card.status, 'snoozed');
      assert.ok(Date.parse(snoozed.body.card.snoozedUntil) > Date.now() + 3500_000);
      const badSnooze = await act(snoozeCard, { type: 'snooze' });
      assert.equal(badSnooze.status, 400);
      const stray = await act(snoozeCard, { type: 'dismiss', direction: 'up' });
      assert.equal(stray.status, 400);
      assert.match(stray.body.error.message, /direction/);
      const closed = await act(formCard, { type: 'dismiss' });
      assert.equal(closed.status, 409);
      assert.equal(closed.body.error.code, 'invalid_card_state');
    });

    test('SDK analytics uploads: endUserId from the token, duplicates dropped, at most 100, only own cards', async () => {
      const [ada, eve] = [user(), user()];
      const token = await endUserToken(server, ada);
      const cardId = (await send(server, templateId, [ada])).body.cards[0].cardInstanceId;
      const eveCard = (await send(server, templateId, [eve])).body.cards[0].cardInstanceId;
      const event = (name: string, extra: Record<string, unknown> = {}) => ({
        id: randomUUID(),
        analyticsEvent: name,
        timestamp: new Date().toISOString(),
        ...extra,
      });
      const displayed = event('card-displayed', { cardContext: { cardInstanceId: cardId }, streamContext: { displayMode: 'stream' } });
      const first = await server.api('POST', '/v1/sdk/events', { events: [event('sdk-initialized'), displayed, displayed] }, token);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual(first.body, { accepted: 2, duplicates: 1, refused: [] });
      const again = await server.api('POST', '/v1/sdk/events', { events: [displayed] }, token);
      assert.deepEqual(again.body, { accepted: 0, duplicates: 1, refused: [] });

      const stored = await server.platform.services.store.db.selectFrom('analytics_events').selectAll().where('id', '=', displayed.id).executeTakeFirstOrThrow();
      const body = JSON.parse(stored.body);
      assert.equal(body.endUserId, ada);
      assert.equal(stored.card_instance_id, cardId);
      assert.equal(body.platformContext.lifecycleId, stored.lifecycle_id);
      assert.deepEqual(body.hostContext, {});
      assert.equal(body.eventContext.actionSource, 'user');

      const count = async () => Number((await server.platform.services.store.db.selectFrom('analytics_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      const before = await count();
      const tooMany = await server.api('POST', '/v1/sdk/events', { events: Array.from({ length: 101 }, () => event('sdk-initialized')) }, token);
      assert.equal(tooMany.status, 400, 'more than 100 events is refused whole');
      assert.equal(await count(), before);
      // Each event is judged on its own: a bad one is listed, and the good ones beside it are kept.
      const bad = [
        [event('card-displayed', { cardContext: { cardInstanceId: eveCard } }), 'not_your_card'],
        [event('card-published'), 'invalid_event'],
        [event('sdk-initialized', { endUserId: eve }), 'invalid_event'],
        [event('card-voted-down', { properties: { reason: 'other', message: 'x'.repeat(281) } }), 'invalid_event'],
        [event('sdk-initialized', { timestamp: 'yesterday' }), 'invalid_event'],
      ] as const;
      const good = event('sdk-initialized');
      const mixed = await server.api('POST', '/v1/sdk/events', { events: [bad[0][0], good, ...bad.slice(1).map(([e]) => e)] }, token);
      assert.equal(mixed.status, 200, JSON.stringify(mixed.body));
      assert.equal(mixed.body.accepted, 1);
      assert.deepEqual(
        mixed.body.refused.map((r: { index: number; code: string }) => [r.index, r.code]),
        [[0, bad[0][1]], ...bad.slice(1).map(([, code], i) => [i + 2, code])],
      );
      assert.equal(await count(), before + 1, 'only the good event is stored');
    });

    test('heartbeats both ways; a silent socket is closed', async () => {
      const quiet = await startServer(store.options, { realtime: { pingIntervalMs: 100, idleTimeoutMs: 350 } });
      try {
        const token = await endUserToken(quiet, user());
        const { socket } = await TestSocket.connect(quiet.url, token);
        socket.send({ type: 'ping', t: 42 });
        assert.deepEqual(await socket.waitFor((m) => m.type === 'pong'), { type: 'pong', t: 42 });
        await socket.waitFor((m) => m.type === 'ping');
        // Answering pings keeps it open past the idle timeout…
        const answering = setInterval(() => socket.send({ type: 'pong' }), 100);
        await sleep(600);
        clearInterval(answering);
        assert.equal(socket.ws.readyState, socket.ws.OPEN);
        // …and silence closes it.
        assert.equal((await socket.closed).code, CLOSE_CODES.heartbeatTimeout);
      } finally {
        await quiet.close();
      }
    });

    test('sockets that connect together are pinged a slice at a time, not all in one turn of the server', async () => {
      // All at once, 2,000 sockets' pings held the server's thread up 43 ms (realtime/hub.ts).
      const spaced = await startServer(store.options, { realtime: { pingIntervalMs: 1000, idleTimeoutMs: 5000 } });
      try {
        const sockets = await Promise.all(Array.from({ length: 20 }, async () => (await TestSocket.connect(spaced.url, await endUserToken(spaced, user()))).socket));
        const pingedAt = await Promise.all(sockets.map((socket) => socket.waitFor((m) => m.type === 'ping').then((m) => (m as { t: number }).t)));
        const spread = Math.max(...pingedAt) - Math.min(...pingedAt);
        // Spread at random over the interval: all 20 within 300 ms of each other by chance is below 1 in 10^9.
        assert.ok(spread >= 300, `the first pings came within ${spread} ms of each other`);
        for (const socket of sockets) socket.ws.close();
      } finally {
        await spaced.close();
      }
    });

    test('CORS: the SDK routes answer any origin; the platform API does not', async () => {
      const preflight = (path: string) =>
        fetch(server.url + path, {
          method: 'OPTIONS',
          headers: { origin: 'https://host.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
        });
      const sdk = await preflight('/v1/sdk/events');
      assert.equal(sdk.status, 204);
      assert.equal(sdk.headers.get('access-control-allow-origin'), '*');
      assert.match(sdk.headers.get('access-control-allow-headers') ?? '', /Authorization/i);
      const token = await endUserToken(server, user());
      const feed = await fetch(`${server.url}/v1/sdk/streams/default/cards`, { headers: { origin: 'https://host.example', authorization: `Bearer ${token}` } });
      assert.equal(feed.headers.get('access-control-allow-origin'), '*');
      assert.match(feed.headers.get('access-control-expose-headers') ?? '', /ETag/i);
      // A refusal is readable too: an expired token must look like one, not like a network error.
      const refused = await fetch(`${server.url}/v1/sdk/streams/default/cards`, { headers: { origin: 'https://host.example', authorization: 'Bearer expired.or.bad' } });
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get('access-control-allow-origin'), '*');
      const platform = await preflight('/v1/cards');
      assert.equal(platform.headers.get('access-control-allow-origin'), null);
      assert.equal(platform.headers.get('access-control-allow-methods'), null);
      const answered = await fetch(`${server.url}/v1/cards?userId=u`, { headers: { origin: 'https://host.example', authorization: `Bearer ${BOOTSTRAP_KEY}` } });
      assert.equal(answered.status, 200);
      assert.equal(answered.headers.get('access-control-allow-origin'), null, 'the platform API answers a browser with no CORS headers');
      // An OPTIONS under the SDK's prefix that is no proper preflight is refused.
      assert.equal((await fetch(`${server.url}/v1/sdk/events`, { method: 'OPTIONS' })).status, 400);
    });
  });
}

describe('fan-out across servers on one PostgreSQL', { skip: !process.env.DATABASE_URL && 'DATABASE_URL is not set' }, () => {
  test("a card sent through server A reaches a socket held by server B", async () => {
    const store = await freshStore('postgres');
    const a = await startServer(store.options);
    const b = await startServer(store.options);
    try {
      const templateId = await publishedTemplate(a);
      const ada = `user-${randomUUID()}`;
      const { socket } = await TestSocket.connect(b.url, await endUserToken(b, ada));
      const sent = await send(a, templateId, [ada]);
      const [change] = await socket.waitForChanges(1);
      assert.equal(change?.cardInstanceId, sent.body.cards[0].cardInstanceId);
      assert.equal(change?.card?.status, 'active');
      // A dismissal through B reaches a socket on A too, in sequence.
      const { socket: onA } = await TestSocket.connect(a.url, await endUserToken(a, ada), 1);
      assert.equal((await b.api('PUT', `/v1/cards/dismiss?cardInstanceId=${change?.cardInstanceId}`)).status, 200);
      const [dismissed] = await onA.waitForChanges(1);
      assert.deepEqual([dismissed?.seq, dismissed?.status], [2, 'dismissed']);
      await socket.waitForChanges(2);
      socket.close();
      onA.close();
    } finally {
      await a.close();
      await b.close();
      await store.drop();
    }
  });
});

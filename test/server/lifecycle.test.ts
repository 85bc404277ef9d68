// Lifecycle transitions on time, and after a restart, on each store (CONTRACT §4).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freshStore, publishedTemplate, send, sleep, startServer, STORE_KINDS, type TestServer, type TestStore, openServer, closeServer } from './harness.js';

async function eventsFor(server: TestServer, cardInstanceId: string) {
  const rows = await server.platform.services.analyticsEvents.page({ cardInstanceId }, 0, 1000);
  return rows.map((r) => JSON.parse(r.body)).map((body) => ({ name: body.analyticsEvent as string, timestamp: Date.parse(body.timestamp), body }));
}

async function cardOf(server: TestServer, cardInstanceId: string) {
  return (await server.api('GET', `/v1/cards?cardInstanceId=${cardInstanceId}`)).body.data[0];
}

/** Polls until `check` passes or `ms` run out; returns the elapsed time. */
async function waitFor(check: () => Promise<boolean>, ms: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await check()) return Date.now() - start;
    await sleep(50);
  }
  throw new Error(`condition not met within ${ms} ms`);
}

for (const kind of STORE_KINDS) {
  describe(`lifecycle (${kind})`, () => {
    let store: TestStore;
    let server: TestServer;
    let templateId: string;

    before(async () => {
      ({ store, server } = await openServer(kind));
      templateId = await publishedTemplate(server);
    });
    after(() => closeServer(server, store));

    test('expiresInterval PT2S expires the card 2–3 s after it was sent, with card-expired at the scheduled time', async () => {
      const sentAt = Date.now();
      const sent = await send(server, templateId, ['expiry-user'], { variables: { name: 'x' }, cardOptions: { expiresInterval: 'PT2S' } });
      const { cardInstanceId } = sent.body.cards[0];
      const card = await cardOf(server, cardInstanceId);
      const created = Date.parse(card.created);
      assert.equal(Date.parse(card.expiresAt) - created, 2000);
      // Timed from the card's creation, so a slow send does not eat into the 2 s.
      await sleep(created + 1700 - Date.now());
      assert.equal((await cardOf(server, cardInstanceId)).status, 'active', 'still active before 2 s');
      await waitFor(async () => (await cardOf(server, cardInstanceId)).status === 'expired', 1500);
      const elapsed = Date.now() - sentAt;
      assert.ok(elapsed >= 2000 && elapsed <= 3000, `expired after ${elapsed} ms`);
      const expired = (await eventsFor(server, cardInstanceId)).filter((e) => e.name === 'card-expired');
      assert.equal(expired.length, 1);
      assert.equal(expired[0]?.timestamp, created + 2000);
      assert.equal(expired[0]?.body.eventContext.actionSource, 'internal');
    });

    test('an embargoed card becomes active at its embargo, and publishes then', async () => {
      const embargo = new Date(Date.now() + 1200).toISOString();
      const sent = await send(server, templateId, ['embargo-user'], { variables: { name: 'x' }, cardOptions: { embargo } });
      const { cardInstanceId, status } = sent.body.cards[0];
      assert.equal(status, 'embargoed');
      const stream = await server.api('GET', '/v1/cards?userId=embargo-user&status=active');
      assert.equal(stream.body.data.length, 0);
      await waitFor(async () => (await cardOf(server, cardInstanceId)).status === 'active', 2500);
      const names = (await eventsFor(server, cardInstanceId)).map((e) => e.name);
      assert.deepEqual(names, ['action-flow-started', 'card-embargoed', 'action-flow-completed', 'card-published']);
      const published = (await eventsFor(server, cardInstanceId)).find((e) => e.name === 'card-published');
      assert.equal(published?.timestamp, Date.parse(embargo));
    });

    test('a snoozed card comes back at the snooze end with card-unsnoozed', async () => {
      const sent = await send(server, templateId, ['snooze-user']);
      const { lifecycleId, cardInstanceId } = sent.body.cards[0];
      const res = await server.api('PUT', `/v1/cards/snooze?lifecycleId=${lifecycleId}`, { interval: 'PT1S' });
      assert.equal(res.status, 200);
      assert.equal((await cardOf(server, cardInstanceId)).status, 'snoozed');
      await waitFor(async () => (await cardOf(server, cardInstanceId)).status === 'active', 2500);
      const card = await cardOf(server, cardInstanceId);
      assert.equal(card.snoozedUntil, undefined);
      const names = (await eventsFor(server, cardInstanceId)).map((e) => e.name);
      assert.deepEqual(names.slice(-2), ['card-snoozed', 'card-unsnoozed']);
    });

    test('a card snoozed past its expiry expires instead of coming back', async () => {
      const sent = await send(server, templateId, ['snooze-expiry-user'], { variables: { name: 'x' }, cardOptions: { expiresInterval: 'PT1S' } });
      const { lifecycleId, cardInstanceId } = sent.body.cards[0];
      await server.api('PUT', `/v1/cards/snooze?lifecycleId=${lifecycleId}`, { interval: 'PT1H' });
      await waitFor(async () => (await cardOf(server, cardInstanceId)).status === 'expired', 2500);
      const names = (await eventsFor(server, cardInstanceId)).map((e) => e.name);
      assert.ok(!names.includes('card-unsnoozed'));
      assert.equal(names.at(-1), 'card-expired');
    });

    test('an expiry at or before the embargo, or in the past, is refused and nothing is sent', async () => {
      const before = (await server.api('GET', '/v1/cards/count')).body.total;
      const embargo = new Date(Date.now() + 60_000).toISOString();
      const refused = await send(server, templateId, ['bad-user'], { variables: { name: 'x' }, cardOptions: { embargo, expires: embargo } });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, 'invalid_card_options');
      const past = await send(server, templateId, ['bad-user'], { variables: { name: 'x' }, cardOptions: { expires: '2020-01-01T00:00:00Z' } });
      assert.equal(past.status, 400);
      const badDuration = await send(server, templateId, ['bad-user'], { variables: { name: 'x' }, cardOptions: { expiresInterval: '10 seconds' } });
      assert.equal(badDuration.status, 400);
      assert.match(badDuration.body.error.message, /expiresInterval/);
      const badTime = await send(server, templateId, ['bad-user'], { variables: { name: 'x' }, cardOptions: { embargo: '2030-01-01 10:00' } });
      assert.equal(badTime.status, 400);
      assert.match(badTime.body.error.message, /embargo/);
      assert.equal((await server.api('GET', '/v1/cards/count')).body.total, before);
    });
  });

  describe(`lifecycle across a restart (${kind})`, () => {
    test('a card that fell due while the server was down expires at the next start, stamped at its scheduled time', async () => {
      const store = await freshStore(kind);
      try {
        let server = await startServer(store.options);
        const templateId = await publishedTemplate(server);
        const sent = await send(server, templateId, ['restart-user'], { variables: { name: 'x' }, cardOptions: { expiresInterval: 'PT2S' } });
        const { cardInstanceId } = sent.body.cards[0];
        const created = Date.parse((await cardOf(server, cardInstanceId)).created);
        await server.close();
        await sleep(2600);
        server = await startServer(store.options);
        try {
          await waitFor(async () => (await cardOf(server, cardInstanceId)).status === 'expired', 1500);
          const expired = (await eventsFor(server, cardInstanceId)).filter((e) => e.name === 'card-expired');
          assert.equal(expired.length, 1);
          assert.equal(expired[0]?.timestamp, created + 2000);
        } finally {
          await server.close();
        }
      } finally {
        await store.drop();
      }
    });

    test('a restart before the expiry still expires the card on time', async () => {
      const store = await freshStore(kind);
      try {
        let server = await startServer(store.options);
        const templateId = await publishedTemplate(server);
        const sentAt = Date.now();
        const sent = await send(server, templateId, ['restart-2'], { variables: { name: 'x' }, cardOptions: { expiresInterval: 'PT2S' } });
        const { cardInstanceId } = sent.body.cards[0];
        await server.close();
        server = await startServer(store.options);
        try {
          await waitFor(async () => (await cardOf(server, cardInstanceId)).status === 'expired', 3500);
          const elapsed = Date.now() - sentAt;
          assert.ok(elapsed >= 2000 && elapsed <= 3000, `expired after ${elapsed} ms`);
        } finally {
          await server.close();
        }
      } finally {
        await store.drop();
      }
    });

    test('two servers on one store record each transition once', { skip: kind !== 'postgres' && 'SQLite has one writer process' }, async () => {
      const store = await freshStore(kind);
      const a = await startServer(store.options);
      const b = await startServer(store.options);
      try {
        const templateId = await publishedTemplate(a);
        const sent = await send(a, templateId, Array.from({ length: 50 }, (_, i) => `pair-${i}`), { variables: { name: 'x' }, cardOptions: { expiresInterval: 'PT1S' } });
        await waitFor(async () => (await b.api('GET', `/v1/cards/count?flowInvocationId=${sent.body.flowInvocationId}&status=expired`)).body.total === 50, 3000);
        const rows = await a.platform.services.store.db
          .selectFrom('analytics_events')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('analytics_event', '=', 'card-expired')
          .where('card_instance_id', 'in', sent.body.cards.map((c: { cardInstanceId: string }) => c.cardInstanceId))
          .executeTakeFirstOrThrow();
        assert.equal(Number(rows.n), 50);
      } finally {
        await a.close();
        await b.close();
        await store.drop();
      }
    });
  });
}

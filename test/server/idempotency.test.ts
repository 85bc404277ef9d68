// Idempotency-Key (CONTRACT §10) on sends, channel cards and cancel jobs: a client that
// retries (after a timeout, at the same time, or a day later) never makes a second card.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { closeServer, openServer, publishedTemplate, STORE_KINDS, type TestServer, type TestStore } from './harness.js';

for (const kind of STORE_KINDS) {
  describe(`Idempotency-Key (${kind})`, () => {
    let store: TestStore;
    let server: TestServer;
    let template: string;
    before(async () => {
      ({ store, server } = await openServer(kind));
      template = await publishedTemplate(server);
    });
    after(() => closeServer(server, store));

    const start = (key: string, users: string[], auth?: string) =>
      server.api('POST', `/v1/action-flows/${template}/start`, { flows: [{ target: { type: 'user', targetUserIds: users }, payload: { variables: { name: 'Ada' } } }] }, auth, { 'idempotency-key': key });
    const cardsOf = async (user: string) => (await server.api('GET', `/v1/cards/count?userId=${user}`)).body.total as number;

    test('a send retried with its key answers the first answer and sends nothing more', async () => {
      const user = `idem-${randomUUID()}`;
      const key = randomUUID();
      const first = await start(key, [user]);
      assert.equal(first.status, 201);
      const again = await start(key, [user]);
      assert.equal(again.status, 201);
      assert.deepEqual(again.body, first.body);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(await cardsOf(user), 1);
      // The same JSON serialised again, its keys in another order and spaced out, is the same body.
      const reserialised = JSON.stringify({ flows: [{ payload: { variables: { name: 'Ada' } }, target: { targetUserIds: [user], type: 'user' } }] }, null, 2);
      const retried = await server.api('POST', `/v1/action-flows/${template}/start`, reserialised, undefined, { 'idempotency-key': key });
      assert.equal(retried.status, 201);
      assert.deepEqual(retried.body, first.body);
      assert.equal(await cardsOf(user), 1);

      const other = await start(key, [user, 'someone-else']);
      assert.equal(other.status, 422);
      assert.equal(other.body.error.code, 'idempotency_key_reused');
      assert.equal(await cardsOf(user), 1);
      assert.equal(await cardsOf('someone-else'), 0);
    });

    test('retries racing each other make one card', async () => {
      const user = `race-${randomUUID()}`;
      const key = randomUUID();
      const answers = await Promise.all(Array.from({ length: 8 }, () => start(key, [user])));
      assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([201]));
      assert.equal(new Set(answers.map((a) => a.body.flowInvocationId)).size, 1);
      assert.equal(await cardsOf(user), 1);
    });

    test('a key belongs to its credential and lasts 24 hours', async () => {
      const user = `scope-${randomUUID()}`;
      const key = randomUUID();
      const other = (await server.api('POST', '/v1/credentials', { roles: ['events'] })).body.clientSecret;
      assert.equal((await start(key, [user])).status, 201);
      const theirs = await start(key, [user], other);
      assert.equal(theirs.status, 201);
      assert.equal(theirs.headers.get('idempotent-replayed'), null);
      assert.equal(await cardsOf(user), 2);

      await server.platform.services.store.db.updateTable('idempotency_keys').set({ created: Date.now() - 25 * 3600_000 }).where('key', '=', key).execute();
      const later = await start(key, [user]);
      assert.equal(later.status, 201);
      assert.equal(later.headers.get('idempotent-replayed'), null);
      assert.equal(await cardsOf(user), 3);
    });

    test('channel cards and cancel jobs take a key too', async () => {
      const channel = (await server.api('POST', '/api/v1/channels', { name: 'idem' })).body.id;
      const key = randomUUID();
      const post = () => server.api('POST', `/api/v1/channels/${channel}/cards`, { blocks: [{ type: 'headline', content: 'Once' }] }, undefined, { 'idempotency-key': key });
      const [a, b] = [await post(), await post()];
      assert.equal(a.status, 201);
      assert.deepEqual(b.body, a.body);
      assert.equal((await server.api('GET', `/api/v1/channels/${channel}/cards`)).body.data.length, 1);

      const jobKey = randomUUID();
      const job = () => server.api('POST', '/v1/cancel-jobs', { criteria: { userId: `nobody-${jobKey}` } }, undefined, { 'idempotency-key': jobKey });
      const [first, second] = await Promise.all([job(), job()]);
      assert.equal(first.status, 202);
      assert.equal(second.status, 202);
      assert.equal(first.body.id, second.body.id);
      const jobs = await server.platform.services.store.db.selectFrom('cancel_jobs').select('id').where('criteria', 'like', `%${jobKey}%`).execute();
      assert.equal(jobs.length, 1);
      const bad = await server.api('POST', '/v1/cancel-jobs', { criteria: { userId: 'x' } }, undefined, { 'idempotency-key': ' has spaces ' });
      assert.equal(bad.status, 400);
    });
  });
}

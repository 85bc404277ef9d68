// Webhooks (CONTRACT §7) against a real receiver: node:http on 127.0.0.1 that fails for a
// while, on each store; the platform listens for real and delivers from its dispatcher.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import pg from 'pg';
import type { AppConfig } from '../../packages/card-stream-server/src/app.js';
import type { StoreOptions } from '../../packages/card-stream-server/src/store/database.js';
import { freshStore, publishedTemplate, send, sleep, startServer, STORE_KINDS, type TestServer, type TestStore } from './harness.js';

/** Fast timings: a failed batch is retried after 100, 200, 400, 400… ms. */
const FAST: AppConfig['webhooks'] = { pollMs: 100, initialBackoffMs: 100, maxBackoffMs: 400, retryForMs: 60_000, requestTimeoutMs: 2_000 };

interface Delivery {
  path: string;
  at: number;
  status: number;
  signature: string;
  contentType: string;
  body: string;
  events: Array<{ id: string; analyticsEvent: string; endUserId: string }>;
}

/** A webhook receiver; `answer` picks each response's status. */
class Receiver {
  readonly deliveries: Delivery[] = [];
  answer: (delivery: Omit<Delivery, 'status'>) => number = () => 200;
  /** How long each answer takes. */
  delayMs = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const partial = {
          path: req.url ?? '',
          at: Date.now(),
          signature: String(req.headers['x-signature'] ?? ''),
          contentType: String(req.headers['content-type'] ?? ''),
          body,
          events: (JSON.parse(body) as { events: Delivery['events'] }).events,
        };
        const status = this.answer(partial);
        this.deliveries.push({ ...partial, status });
        setTimeout(() => res.writeHead(status).end(), this.delayMs);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return this;
  }

  accepted(path: string): Delivery[] {
    return this.deliveries.filter((d) => d.path === path && d.status >= 200 && d.status < 300);
  }

  async waitFor(check: () => boolean, what: string, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(50);
    }
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}

/** The platform with its webhook timings set, listening on a free port. */
const startPlatform = (store: StoreOptions, webhooks: AppConfig['webhooks']): Promise<TestServer> => startServer(store, { webhooks });

/** Checks X-Signature independently of the platform's code. */
function assertSigned(delivery: Delivery, secret: string): void {
  const match = /^t=(\d+),sha256=([0-9a-f]{64})$/.exec(delivery.signature);
  assert.ok(match, `signature header: ${delivery.signature}`);
  const t = Number(match[1]);
  assert.ok(Math.abs(t - delivery.at / 1000) < 5, 'signed within seconds of delivery');
  const expected = createHmac('sha256', secret).update(`${t}.${delivery.body}`).digest('hex');
  assert.equal(match[2], expected);
}

/** The ids of every event stored, oldest first, through the events API. */
async function storedEvents(server: TestServer, query = ''): Promise<Array<{ id: string; analyticsEvent: string }>> {
  const all = [];
  let cursor: string | null = null;
  do {
    const res: { body: { data: Array<{ id: string; analyticsEvent: string }>; nextCursor: string | null } } = await server.api(
      'GET',
      `/v1/analytics/events?limit=1000${query}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    all.push(...res.body.data);
    cursor = res.body.nextCursor;
  } while (cursor);
  return all;
}

const SECRET = 'a-webhook-secret-of-some-length';

for (const kind of STORE_KINDS) {
  describe(`webhooks (${kind})`, () => {
    let store: TestStore;
    let server: TestServer;
    let receiver: Receiver;
    let templateId: string;

    before(async () => {
      store = await freshStore(kind);
      server = await startPlatform(store.options, FAST);
      templateId = await publishedTemplate(server);
    });
    afterEach(async () => {
      for (const hook of (await server.api('GET', '/v1/webhooks')).body.data) await server.api('DELETE', `/v1/webhooks/${hook.id}`);
      await receiver?.close();
    });
    after(async () => {
      await server.close();
      await store.drop();
    });

    test('create, list and delete; the secret is never returned; bad input is 400 and creates nothing', async () => {
      const created = await server.api('POST', '/v1/webhooks', { url: 'https://example.com/hook', events: ['card-published', 'card-published'], secret: SECRET });
      assert.equal(created.status, 201);
      assert.deepEqual(Object.keys(created.body).sort(), ['created', 'events', 'id', 'url']);
      assert.deepEqual(created.body.events, ['card-published']);
      assert.ok(!JSON.stringify(created.body).includes(SECRET));
      const all = await server.api('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/x', events: ['card-displayed', '*'], secret: SECRET });
      assert.deepEqual(all.body.events, ['*']);

      const listed = await server.api('GET', '/v1/webhooks');
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body.data.map((h: { id: string }) => h.id), [created.body.id, all.body.id]);
      assert.ok(!JSON.stringify(listed.body).includes(SECRET));
      assert.equal(listed.body.data[0].failedBatches, 0);

      const bad: Array<[unknown, RegExp]> = [
        [{ url: 'ftp://example.com/x', events: ['*'], secret: SECRET }, /url/],
        [{ url: 'not a url', events: ['*'], secret: SECRET }, /url/],
        [{ url: 'https://example.com', events: [], secret: SECRET }, /events/],
        [{ url: 'https://example.com', events: ['card-exploded'], secret: SECRET }, /events/],
        [{ url: 'https://example.com', events: ['*'] }, /secret/],
        [{ url: 'https://example.com', events: ['*'], secret: 'short' }, /secret/],
        [{ url: 'https://example.com', events: ['*'], secret: SECRET, extra: 1 }, /extra/],
      ];
      for (const [body, names] of bad) {
        const res = await server.api('POST', '/v1/webhooks', body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.match(res.body.error.message, names);
      }
      assert.equal((await server.api('GET', '/v1/webhooks')).body.data.length, 2, 'nothing created by a bad request');

      assert.equal((await server.api('DELETE', `/v1/webhooks/${created.body.id}`)).status, 204);
      const again = await server.api('DELETE', `/v1/webhooks/${created.body.id}`);
      assert.equal(again.status, 404);
      assert.equal(again.body.error.code, 'webhook_not_found');
      assert.deepEqual((await server.api('GET', '/v1/webhooks')).body.data.map((h: { id: string }) => h.id), [all.body.id]);
    });

    test('every event arrives despite a receiver failing for 2 s: signed, in batches of at most 100, filtered by name', async () => {
      receiver = await new Receiver().start();
      const downUntil = Date.now() + 2_000;
      receiver.answer = () => (Date.now() < downUntil ? 500 : 200);
      const filtered = await server.api('POST', '/v1/webhooks', { url: `${receiver.url}/filtered`, events: ['card-published', 'card-dismissed'], secret: SECRET });
      const everything = await server.api('POST', '/v1/webhooks', { url: `${receiver.url}/all`, events: ['*'], secret: `${SECRET}-2` });
      assert.equal(everything.status, 201);
      const before = new Set((await storedEvents(server)).map((e) => e.id));

      // 60 cards (180 events), 10 dismissed, then 50 more cards: 340 events in all.
      const users = Array.from({ length: 60 }, (_, i) => `hook-${i}-${randomUUID()}`);
      const first = await send(server, templateId, users);
      assert.equal(first.status, 201);
      for (const card of first.body.cards.slice(0, 10)) {
        assert.equal((await server.api('PUT', `/v1/cards/dismiss?cardInstanceId=${card.cardInstanceId}`)).status, 200);
      }
      await sleep(300);
      assert.equal((await send(server, templateId, users.slice(0, 50).map((u) => `${u}-again`))).status, 201);

      const expected = (await storedEvents(server)).filter((e) => !before.has(e.id));
      assert.equal(expected.length, 340);
      const expectedFiltered = expected.filter((e) => e.analyticsEvent === 'card-published' || e.analyticsEvent === 'card-dismissed');
      assert.equal(expectedFiltered.length, 120);

      const ids = (path: string) => receiver.accepted(path).flatMap((d) => d.events.map((e) => e.id));
      await receiver.waitFor(() => ids('/all').length >= 340 && ids('/filtered').length >= 120, 'every event');
      await sleep(500); // anything more would be a duplicate

      assert.deepEqual(ids('/all'), expected.map((e) => e.id), 'each event once, oldest first');
      assert.deepEqual(ids('/filtered'), expectedFiltered.map((e) => e.id));
      const failures = receiver.deliveries.filter((d) => d.status === 500);
      assert.ok(failures.length >= 2, `the receiver refused deliveries (${failures.length})`);
      for (const path of ['/all', '/filtered']) {
        const attempts = receiver.deliveries.filter((d) => d.path === path);
        // The batch that failed first is the one retried, unchanged.
        assert.equal(attempts[0]?.status, 500);
        const firstSuccess = attempts.find((d) => d.status === 200);
        assert.deepEqual(firstSuccess?.events.map((e) => e.id), attempts[0]?.events.map((e) => e.id));
      }
      assert.ok(receiver.accepted('/all').length >= 4, 'more than one batch');
      for (const delivery of receiver.deliveries) {
        assert.ok(delivery.events.length >= 1 && delivery.events.length <= 100, `batch of ${delivery.events.length}`);
        assert.match(delivery.contentType, /^application\/json/);
        assertSigned(delivery, delivery.path === '/all' ? `${SECRET}-2` : SECRET);
      }
      const listed = (await server.api('GET', '/v1/webhooks')).body.data.find((h: { id: string }) => h.id === filtered.body.id);
      assert.equal(listed.failingSince, undefined, 'recovered');
    });

    test('a batch failing past the retry window is marked failed and later batches still go out', async () => {
      // A store of its own: no other server here may retry (or give up on) its batches.
      const own = await freshStore(kind);
      const patient = await startPlatform(own.options, { ...FAST, retryForMs: 700 });
      try {
        const templateId = await publishedTemplate(patient);
        receiver = await new Receiver().start();
        const poison = `poison-${randomUUID()}`;
        receiver.answer = (d) => (d.events.some((e) => e.endUserId === poison) ? 503 : 200);
        const hook = await patient.api('POST', '/v1/webhooks', { url: `${receiver.url}/h`, events: ['*'], secret: SECRET });
        await send(patient, templateId, [poison]);
        await receiver.waitFor(() => receiver.deliveries.length >= 1, 'the first attempt');
        const fine = `fine-${randomUUID()}`;
        await send(patient, templateId, [fine]);

        await receiver.waitFor(() => receiver.accepted('/h').length >= 1, 'the later batch', 10_000);
        const failed = receiver.deliveries.filter((d) => d.status === 503);
        assert.ok(failed.length >= 3, `retried ${failed.length} times`);
        assert.ok((failed.at(-1)?.at ?? 0) - (failed[0]?.at ?? 0) >= 500, 'retried for the window');
        assert.ok(failed.every((d) => d.events.every((e) => e.endUserId === poison) && d.events.length === 3), 'the same batch each time');
        assert.deepEqual(receiver.accepted('/h').flatMap((d) => d.events.map((e) => e.endUserId)), [fine, fine, fine]);

        const listed = (await patient.api('GET', '/v1/webhooks')).body.data.find((h: { id: string }) => h.id === hook.body.id);
        assert.equal(listed.failedBatches, 1);
        assert.equal(listed.lastError, undefined, 'no batch failing now');
        assert.equal(listed.failingSince, undefined);
        const rows = await patient.platform.services.webhooks.failedBatches(hook.body.id);
        assert.equal(rows.length, 1);
        assert.equal(rows[0]?.event_count, 3);
        assert.match(rows[0]?.last_error ?? '', /503/);
      } finally {
        await patient.close();
        await own.drop();
      }
    });

    test('a restart resumes from the stored cursor: events stored while the receiver was down all arrive', async () => {
      const own = await freshStore(kind);
      const first = await startPlatform(own.options, FAST);
      let second: TestServer | undefined;
      try {
        const templateId = await publishedTemplate(first);
        receiver = await new Receiver().start();
        let up = false;
        receiver.answer = () => (up ? 200 : 500);
        const hook = await first.api('POST', '/v1/webhooks', { url: `${receiver.url}/r`, events: ['card-published'], secret: SECRET });
        assert.equal(hook.status, 201);
        const users = Array.from({ length: 150 }, (_, i) => `restart-${i}-${randomUUID()}`);
        await send(first, templateId, users);
        await receiver.waitFor(() => receiver.deliveries.length >= 1, 'a failed attempt');
        await first.close();
        up = true;
        second = await startPlatform(own.options, FAST);
        await receiver.waitFor(() => receiver.accepted('/r').flatMap((d) => d.events).length >= 150, 'every event after the restart');
        const got = receiver.accepted('/r').flatMap((d) => d.events.map((e) => e.endUserId));
        assert.deepEqual(got.sort(), [...users].sort());
        // The batch that failed before the restart is retried as it was (its end is stored);
        // how many events it holds depends on how far the send had committed when it formed.
        const failedFirst = receiver.deliveries[0] as Delivery;
        const accepted = receiver.accepted('/r');
        assert.deepEqual((accepted[0] as Delivery).events.map((e) => e.id), failedFirst.events.map((e) => e.id));
        assert.ok(accepted.every((d) => d.events.length <= 100), `batches of at most 100: ${accepted.map((d) => d.events.length).join(', ')}`);
      } finally {
        await second?.close();
        await first.close().catch(() => {});
        await own.drop();
      }
    });

    if (kind === 'postgres') {
      test('an event whose transaction commits after later ones is still delivered, in seq order', async () => {
        receiver = await new Receiver().start();
        await server.api('POST', '/v1/webhooks', { url: `${receiver.url}/late`, events: ['*'], secret: SECRET });
        const url = (store.options as { url: string }).url;
        const slow = new pg.Client({ connectionString: url });
        await slow.connect();
        try {
          // The slow transaction takes its seq first and commits last.
          const lateId = randomUUID();
          await slow.query('begin');
          await slow.query(
            `insert into analytics_events (id, analytics_event, end_user_id, timestamp, body) values ($1, 'sdk-initialized', 'late-user', $2, $3)`,
            [lateId, Date.now(), JSON.stringify({ id: lateId, endUserId: 'late-user', analyticsEvent: 'sdk-initialized' })],
          );
          const user = `late-${randomUUID()}`;
          await send(server, templateId, [user]);
          await sleep(1_000);
          assert.equal(receiver.deliveries.length, 0, 'nothing passes an event that may still commit');
          await slow.query('commit');
          await receiver.waitFor(() => receiver.accepted('/late').flatMap((d) => d.events).length >= 4, 'all four events');
          const got = receiver.accepted('/late').flatMap((d) => d.events);
          assert.deepEqual(got.map((e) => e.endUserId), ['late-user', user, user, user]);
        } finally {
          await slow.end();
        }
      });

      test('three servers on one database deliver each batch once', async () => {
        const others = [await startPlatform(store.options, FAST), await startPlatform(store.options, FAST)];
        try {
          receiver = await new Receiver().start();
          // Slow answers: each delivery is under way through several polls of every server.
          receiver.delayMs = 300;
          await server.api('POST', '/v1/webhooks', { url: `${receiver.url}/m`, events: ['*'], secret: SECRET });
          const sends = [server, ...others].flatMap((s, n) =>
            Array.from({ length: 5 }, (_, i) => send(s, templateId, Array.from({ length: 20 }, (_, j) => `multi-${n}-${i}-${j}`))),
          );
          await Promise.all(sends);
          const expected = 3 * 5 * 20 * 3;
          await receiver.waitFor(() => receiver.accepted('/m').flatMap((d) => d.events).length >= expected, 'every event');
          await sleep(500);
          const ids = receiver.accepted('/m').flatMap((d) => d.events.map((e) => e.id));
          assert.equal(ids.length, expected);
          assert.equal(new Set(ids).size, expected, 'no event delivered twice');
        } finally {
          for (const other of others) await other.close();
        }
      });
    }
  });
}

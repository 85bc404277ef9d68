// The analytics read side (CONTRACT §7): the events API, the NDJSON export and insights,
// against a real listening server on each store.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Migrator } from 'kysely';
import { migrationProvider } from '../../packages/card-stream-server/src/store/migrations.js';
import { derivedId } from '../../packages/card-stream-server/src/ids.js';
import { EventContexts } from '../../packages/card-stream-server/src/analytics/event-contexts.js';
import { eventNameIs, readEvents } from '../../packages/card-stream-server/src/analytics/events-query.js';
import { BOOTSTRAP_KEY, endUserToken, unmigratedDb, freshStore, holdWrite, publishedTemplate, send, sleep, startServer, STORE_KINDS, type TestServer, type TestStore } from './harness.js';

interface Event {
  id: string;
  endUserId: string;
  analyticsEvent: string;
  timestamp: string;
  cardContext: { cardInstanceId?: string; cardTemplateId?: string };
  platformContext: { lifecycleId?: string };
}

/** A card row as stored before 009_shared_contents. */
const CARD = {
  card_instance_id: '',
  lifecycle_id: randomUUID(),
  flow_instance_id: randomUUID(),
  flow_invocation_id: randomUUID(),
  card_template_id: '',
  card_template_name: 'Old',
  card_template_version: 1,
  event_name: '',
  event_source: 'live',
  stream_id: 'default',
  priority: 5,
  definition: '{"blocks":[]}',
  payload: '{}',
  status: 'active',
  user_id: 'old-user',
  created: 1,
  updated: 1,
  active_since: 1,
  embargo_until: null,
  expires_at: null,
  snoozed_until: null,
  completion: null,
  next_due: null,
  runtime_variables: '{}',
};

for (const kind of STORE_KINDS) {
  describe(`analytics (${kind})`, () => {
    let store: TestStore;
    let server: TestServer;
    let templateId: string;

    before(async () => {
      store = await freshStore(kind);
      server = await startServer(store.options);
      templateId = await publishedTemplate(server);
    });
    after(async () => {
      await server.close();
      await store.drop();
    });

    /** Every page of `query` through nextCursor. */
    async function allPages(query: string, limit: number): Promise<{ events: Event[]; pages: number }> {
      const events: Event[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: { status: number; body: { data: Event[]; nextCursor: string | null } } = await server.api(
          'GET',
          `/v1/analytics/events?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.ok(res.body.data.length <= limit);
        events.push(...res.body.data);
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor !== null);
      return { events, pages };
    }

    test("a send's three events of its card: one row, the same three events from every reader", async () => {
      const user = `span-${randomUUID()}`;
      const sent = await send(server, templateId, [user]);
      assert.equal(sent.status, 201);
      const cardId = sent.body.cards[0].cardInstanceId as string;
      const db = server.platform.services.store.db;
      const rows = await db.selectFrom('analytics_events').select(['seq', 'span', 'analytics_event', 'id']).where('card_instance_id', '=', cardId).orderBy('seq').execute();
      assert.deepEqual(rows.map((r) => [r.analytics_event, r.span, r.id]), [['card-published', 3, '']]);
      // No other row has the seqs it stands for: the one before it lies at least 3 below.
      const before = await db.selectFrom('analytics_events').select('seq').where('seq', '<', rows[0]!.seq).orderBy('seq', 'desc').limit(1).executeTakeFirst();
      if (before) assert.ok(Number(rows[0]!.seq) - Number(before.seq) >= 3, `${before.seq} then ${rows[0]!.seq}`);

      // Their ids are made from the card's, one kind each: the same on every read.
      const events = (await allPages(`cardInstanceId=${cardId}`, 10)).events;
      assert.deepEqual(events.map((e) => e.analyticsEvent), ['action-flow-started', 'card-published', 'action-flow-completed']);
      assert.deepEqual(events.map((e) => e.id), [derivedId(cardId, 'startedEvent'), derivedId(cardId, 'sentEvent'), derivedId(cardId, 'completedEvent')]);
      assert.deepEqual((await allPages(`endUserId=${user}`, 10)).events, events);

      // A page at a time: the cursor is each event's own seq, consecutive, ending at the row's.
      const seqs: number[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { data: Event[]; nextCursor: string | null } } = await server.api('GET', `/v1/analytics/events?endUserId=${user}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        cursor = page.body.nextCursor;
        if (cursor) seqs.push(Number(Buffer.from(cursor, 'base64url').toString()));
      } while (cursor);
      const last = Number(rows.at(-1)?.seq);
      assert.deepEqual(seqs, [last - 2, last - 1, last].slice(0, seqs.length));
      assert.ok(seqs.length >= 2);

      // By name: only the event of that name, whichever row holds it.
      for (const [i, name] of ['action-flow-started', 'card-published', 'action-flow-completed'].entries()) {
        const named = (await allPages(`cardInstanceId=${cardId}&analyticsEvent=${name}`, 10)).events;
        assert.deepEqual(named.map((e) => e.id), [events[i]?.id], name);
      }

      // Bounded inside the span (a webhook's batch that ended there, retried): up to that seq, no further.
      const contexts = new EventContexts(db);
      const upToSecond = await readEvents(db, contexts, { after: last - 3, end: last - 1, limit: 100, where: (eb) => eb('card_instance_id', '=', cardId) });
      assert.deepEqual(upToSecond.map((e) => JSON.parse(e.body).id), [events[0]?.id, events[1]?.id]);
      const rest = await readEvents(db, contexts, { after: last - 1, end: last, limit: 100, where: (eb) => eb('card_instance_id', '=', cardId) });
      assert.deepEqual(rest.map((e) => [e.seq, JSON.parse(e.body).id]), [[last, events[2]?.id]]);
      const started = await readEvents(db, contexts, { after: 0, limit: 100, where: (eb) => eb.and([eb('card_instance_id', '=', cardId), eventNameIs(eb, ['action-flow-started'])]), names: ['action-flow-started'] });
      assert.deepEqual(started.map((e) => JSON.parse(e.body).id), [events[0]?.id]);
    });

    test('the events API filters by every attribute and pages oldest first through an opaque cursor', async () => {
      const [ada, bob] = [`ada-${randomUUID()}`, `bob-${randomUUID()}`];
      const sent = await send(server, templateId, [ada, bob]);
      assert.equal(sent.status, 201);
      const adaCard = sent.body.cards.find((c: { userId: string }) => c.userId === ada);
      assert.equal((await server.api('PUT', `/v1/cards/dismiss?cardInstanceId=${adaCard.cardInstanceId}`)).status, 200);

      const adas = await allPages(`endUserId=${ada}`, 100);
      assert.deepEqual(
        adas.events.map((e) => e.analyticsEvent),
        ['action-flow-started', 'card-published', 'action-flow-completed', 'card-dismissed'],
      );
      assert.ok(adas.events.every((e) => e.endUserId === ada));
      for (const e of adas.events) {
        assert.deepEqual(Object.keys(e).sort(), ['analyticsEvent', 'cardContext', 'endUserId', 'eventContext', 'hostContext', 'id', 'platformContext', 'properties', 'sdkContext', 'streamContext', 'timestamp']);
      }

      // One event per page: the same events in the same order, and null at the end.
      const paged = await allPages(`endUserId=${ada}`, 1);
      assert.deepEqual(paged.events.map((e) => e.id), adas.events.map((e) => e.id));
      assert.equal(paged.pages, 4);

      const byCard = await allPages(`cardInstanceId=${adaCard.cardInstanceId}`, 10);
      assert.deepEqual(byCard.events.map((e) => e.id), adas.events.map((e) => e.id));
      const byLifecycle = await allPages(`lifecycleId=${adaCard.lifecycleId}`, 10);
      assert.deepEqual(byLifecycle.events.map((e) => e.id), adas.events.map((e) => e.id));
      const dismissed = await allPages(`analyticsEvent=card-dismissed&endUserId=${ada}`, 10);
      assert.deepEqual(dismissed.events.map((e) => e.cardContext.cardInstanceId), [adaCard.cardInstanceId]);
      const bobs = await allPages(`endUserId=${bob}&analyticsEvent=card-published`, 10);
      assert.equal(bobs.events.length, 1);

      // from is inclusive and to exclusive, on the event's timestamp.
      const at = adas.events[0]?.timestamp as string;
      const fromAt = await allPages(`endUserId=${ada}&from=${encodeURIComponent(at)}`, 10);
      assert.equal(fromAt.events.length, 4);
      const toAt = await allPages(`endUserId=${ada}&to=${encodeURIComponent(at)}`, 10);
      assert.equal(toAt.events.length, 0);
      const offset = new Date(Date.parse(at) + 1).toISOString().replace('Z', '+00:00');
      assert.equal((await allPages(`endUserId=${bob}&to=${encodeURIComponent(offset)}`, 10)).events.length, 3);
    });

    test("one-user sends of a flow share one stored event template; each event reads back with its own send's ids and times", async () => {
      const { db, close } = unmigratedDb(store.options);
      const templates = async () => Number((await db.selectFrom('event_contexts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      try {
        const sends = [];
        let afterFirst = 0;
        for (let i = 0; i < 3; i++) {
          const res = await send(server, templateId, [`shared-${randomUUID()}`]);
          assert.equal(res.status, 201);
          sends.push(res.body);
          if (i === 0) afterFirst = await templates();
          await sleep(5); // another millisecond: another publishedAt
        }
        assert.equal(await templates(), afterFirst, 'the second and third sends stored no template');
        const pair = await send(server, templateId, [`pair-a-${randomUUID()}`, `pair-b-${randomUUID()}`]);
        assert.equal(pair.status, 201);
        for (const sent of [...sends, pair.body]) {
          for (const card of sent.cards) {
            const [stored] = (await server.api('GET', `/v1/cards?cardInstanceId=${card.cardInstanceId}`)).body.data;
            const events = (await allPages(`cardInstanceId=${card.cardInstanceId}`, 10)).events as unknown as Array<Event & { cardContext: { publishedAt: string }; platformContext: Record<string, string> }>;
            assert.deepEqual(events.map((e) => e.analyticsEvent), ['action-flow-started', 'card-published', 'action-flow-completed']);
            // card-published's id is made from its card's (ids.ts) and stored as '': read back whole, and its own.
            for (const e of events) assert.match(e.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
            assert.equal(new Set(events.map((e) => e.id)).size, 3);
            assert.notEqual(events[1]!.id, card.cardInstanceId);
            for (const e of events) {
              assert.equal(e.platformContext.flowInvocationId, sent.flowInvocationId);
              assert.equal(e.platformContext.flowInstanceId, card.flowInstanceId);
              assert.equal(e.platformContext.lifecycleId, card.lifecycleId);
              assert.equal(e.cardContext.cardInstanceId, card.cardInstanceId);
              assert.equal(e.cardContext.publishedAt, stored.created);
              assert.equal(e.endUserId, card.userId);
            }
          }
        }
        // An event later than the card's publishing keeps the card's time, not its own.
        const card = sends[0].cards[0];
        await sleep(5);
        assert.equal((await server.api('PUT', `/v1/cards/dismiss?cardInstanceId=${card.cardInstanceId}`)).status, 200);
        const [dismissed] = (await allPages(`cardInstanceId=${card.cardInstanceId}&analyticsEvent=card-dismissed`, 10)).events as unknown as Array<Event & { cardContext: { publishedAt: string } }>;
        const [published] = (await allPages(`cardInstanceId=${card.cardInstanceId}&analyticsEvent=card-published`, 10)).events as unknown as Array<Event & { cardContext: { publishedAt: string } }>;
        assert.equal(dismissed!.cardContext.publishedAt, published!.cardContext.publishedAt);
        assert.notEqual(dismissed!.timestamp, published!.timestamp);

        // Cards published in different milliseconds, cancelled: their events share a template
        // too (a bulk cancel of a million cards sent one by one made a million of them).
        const cancel = async (sent: { cards: { cardInstanceId: string }[] }) => {
          const res = await server.api('PUT', `/v1/cards/cancel?cardInstanceId=${sent.cards[0]!.cardInstanceId}`);
          assert.equal(res.status, 200);
          assert.equal(res.body.summary.updated, 1);
        };
        await cancel(sends[1]);
        const afterOneCancel = await templates();
        await cancel(sends[2]);
        assert.equal(await templates(), afterOneCancel, 'the second cancel stored no template');
        for (const sent of [sends[1], sends[2]]) {
          const card = sent.cards[0];
          const [stored] = (await server.api('GET', `/v1/cards?cardInstanceId=${card.cardInstanceId}`)).body.data;
          const [cancelled] = (await allPages(`cardInstanceId=${card.cardInstanceId}&analyticsEvent=card-cancelled`, 10)).events as unknown as Array<Event & { cardContext: { publishedAt: string } }>;
          assert.equal(cancelled!.cardContext.publishedAt, stored.created);
          assert.notEqual(cancelled!.timestamp, stored.created);
        }
      } finally {
        await close();
      }
    });

    test('bad query attributes are 400 naming them', async () => {
      const cases: Array<[string, string, RegExp]> = [
        ['/v1/analytics/events?userId=x', 'unknown_attribute', /userId/],
        ['/v1/analytics/events?from=yesterday', 'invalid_time', /from/],
        ['/v1/analytics/events?analyticsEvent=card-exploded', 'invalid_request', /analyticsEvent/],
        ['/v1/analytics/events?to=2026-01-01T00:00:00', 'invalid_time', /to/],
        ['/v1/analytics/events?limit=0', 'invalid_limit', /limit/],
        ['/v1/analytics/events?limit=1001', 'invalid_limit', /limit/],
        ['/v1/analytics/events?limit=ten', 'invalid_request', /limit/],
        ['/v1/analytics/events?cursor=not-a-cursor', 'invalid_cursor', /cursor/],
        [`/v1/analytics/events?cursor=${Buffer.from('-1').toString('base64url')}`, 'invalid_cursor', /cursor/],
        [`/v1/analytics/events?cursor=${Buffer.from(String(Number.MAX_SAFE_INTEGER + 1)).toString('base64url')}`, 'invalid_cursor', /cursor/],
        ['/v1/analytics/export?limit=5', 'unknown_attribute', /limit/],
        ['/v1/analytics/export?from=2026-13-01T00:00:00Z', 'invalid_time', /from/],
        ['/v1/analytics/export?from=2026-02-29T00:00:00Z', 'invalid_time', /from/],
        ['/v1/analytics/events?to=2026-04-31T12:00:00Z', 'invalid_time', /to/],
        ['/v1/analytics/insights?to=soon', 'invalid_time', /to/],
        ['/v1/analytics/insights?templateId=x', 'unknown_attribute', /templateId/],
      ];
      for (const [path, code, names] of cases) {
        const res = await server.api('GET', path);
        assert.equal(res.status, 400, path);
        assert.equal(res.body.error.code, code, path);
        assert.match(res.body.error.message, names, path);
      }
      assert.equal((await server.api('GET', '/v1/analytics/events?from=2028-02-29T00:00:00Z')).status, 200, 'a leap day is a day');
      // Any seq a JavaScript number holds exactly is a cursor (PostgreSQL's seqs step by 512).
      const farthest = await server.api('GET', `/v1/analytics/events?cursor=${Buffer.from(String(Number.MAX_SAFE_INTEGER)).toString('base64url')}`);
      assert.deepEqual([farthest.status, farthest.body.data, farthest.body.nextCursor], [200, [], null]);
      const max = await server.api('GET', '/v1/analytics/events?limit=1000');
      assert.equal(max.status, 200);
    });

    test('the export streams every matching event as one NDJSON line, oldest first', async () => {
      const user = `export-${randomUUID()}`;
      assert.equal((await send(server, templateId, [user])).status, 201);
      // Fill: copies of a real event with new ids, as an SDK or a busy platform would store.
      const db = server.platform.services.store.db;
      const model = await db.selectFrom('analytics_events').selectAll().where('end_user_id', '=', user).orderBy('seq').limit(1).executeTakeFirstOrThrow();
      const TOTAL = 20_000;
      const ids: string[] = [];
      await db.transaction().execute(async (tx) => {
        for (let done = 3; done < TOTAL; ) {
          const rows = [];
          for (let i = 0; i < 500 && done < TOTAL; i++, done++) {
            const id = randomUUID();
            ids.push(id);
            // The model may stand for the send's three events (a span, on SQLite): a copy is one,
            // the first of them.
            const { seq: _seq, span: _span, ...model1 } = model;
            const copy = { ...model1, analytics_event: 'action-flow-started' };
            // A card event keeps its id in its column only (its body is the values its shared
            // template leaves open: analytics/event-contexts.ts).
            rows.push({ ...copy, id, body: copy.context_key === null ? JSON.stringify({ ...JSON.parse(model.body), id }) : copy.body });
          }
          await tx.insertInto('analytics_events').values(rows).execute();
        }
      });

      const res = await fetch(`${server.url}/v1/analytics/export?endUserId=${user}`, { headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/x-ndjson/);
      assert.equal(res.headers.get('content-length'), null, 'streamed, not buffered');
      const text = await res.text();
      assert.ok(text.endsWith('\n'));
      const lines = text.slice(0, -1).split('\n');
      assert.equal(lines.length, TOTAL);
      const events = lines.map((line) => JSON.parse(line) as Event);
      assert.ok(events.every((e) => e.endUserId === user));
      assert.deepEqual(events.slice(0, 3).map((e) => e.analyticsEvent), ['action-flow-started', 'card-published', 'action-flow-completed']);
      assert.deepEqual(events.slice(3).map((e) => e.id), ids, 'every copy, in the order stored');
      assert.equal(new Set(events.map((e) => e.id)).size, TOTAL);

      // The same order and content as the events API.
      const api = await allPages(`endUserId=${user}`, 1000);
      assert.deepEqual(api.events.map((e) => e.id), events.map((e) => e.id));

      const filtered = await fetch(`${server.url}/v1/analytics/export?endUserId=${user}&analyticsEvent=card-published`, { headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` } });
      const publishedLines = (await filtered.text()).trim().split('\n');
      assert.equal(publishedLines.length, 1);
      const none = await fetch(`${server.url}/v1/analytics/export?endUserId=nobody-${randomUUID()}`, { headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` } });
      assert.equal(none.status, 200);
      assert.equal(await none.text(), '');
    });

    test('insights count distinct cards per template, with rates against sent', async () => {
      // Votes count only on cards that take them (the end-user API refuses the others).
      const insightsTemplate = await publishedTemplate(server, { definition: { voting: 'both', blocks: [{ type: 'headline', content: 'Hello {{name}}' }] } });
      const quietTemplate = await publishedTemplate(server);
      const users = Array.from({ length: 4 }, () => `ins-${randomUUID()}`);
      const sent = await send(server, insightsTemplate, users);
      const cards = sent.body.cards as Array<{ userId: string; cardInstanceId: string }>;
      const embargoUser = `ins-embargo-${randomUUID()}`;
      const embargoed = await send(server, insightsTemplate, [embargoUser], {
        variables: { name: 'Ada' },
        cardOptions: { embargo: new Date(Date.now() + 3600_000).toISOString() },
      });
      assert.equal(embargoed.body.cards[0].status, 'embargoed');
      await send(server, quietTemplate, [`quiet-${randomUUID()}`]);
      const [c0, c1, c2, c3] = cards as [(typeof cards)[0], (typeof cards)[0], (typeof cards)[0], (typeof cards)[0]];

      // Displayed: c0 three times, c1 once. Votes: c0 up twice, c1 down.
      const upload = async (card: (typeof cards)[0], names: string[]) => {
        const token = await endUserToken(server, card.userId);
        const events = names.map((analyticsEvent) => ({
          id: randomUUID(),
          analyticsEvent,
          timestamp: new Date().toISOString(),
          cardContext: { cardInstanceId: card.cardInstanceId },
          ...(analyticsEvent === 'card-voted-down' ? { properties: { reason: 'too-often' } } : {}),
        }));
        const res = await server.api('POST', '/v1/sdk/events', { events }, token);
        assert.equal(res.status, 200, JSON.stringify(res.body));
      };
      await upload(c0, ['card-displayed', 'card-displayed', 'card-displayed', 'card-voted-up', 'card-voted-up']);
      await upload(c1, ['card-displayed', 'card-voted-down']);
      assert.equal((await server.api('PUT', `/v1/cards/complete?cardInstanceId=${c0.cardInstanceId}`, {})).status, 200);
      assert.equal((await server.api('PUT', `/v1/cards/dismiss?cardInstanceId=${c1.cardInstanceId}`)).status, 200);
      assert.equal((await server.api('PUT', `/v1/cards/snooze?cardInstanceId=${c2.cardInstanceId}`, { interval: 'PT1H' })).status, 200);
      assert.equal((await server.api('PUT', `/v1/cards/snooze?cardInstanceId=${c3.cardInstanceId}`, { interval: 'PT1H' })).status, 200);

      const res = await server.api('GET', `/v1/analytics/insights?cardTemplateId=${insightsTemplate}`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.data, [
        {
          cardTemplateId: insightsTemplate,
          sent: 5,
          displayed: 2,
          completed: 1,
          dismissed: 1,
          snoozed: 2,
          votedUp: 1,
          votedDown: 1,
          displayRate: 2 / 5,
          completionRate: 1 / 5,
          dismissRate: 1 / 5,
        },
      ]);

      const all = await server.api('GET', '/v1/analytics/insights');
      const byId = new Map((all.body.data as Array<{ cardTemplateId: string; sent: number; displayRate: number }>).map((row) => [row.cardTemplateId, row]));
      assert.equal(byId.get(insightsTemplate)?.sent, 5);
      assert.equal(byId.get(quietTemplate)?.sent, 1);
      assert.equal(byId.get(quietTemplate)?.displayRate, 0);
      assert.ok(byId.has(templateId), 'every template with events');

      // A window before anything happened: zeros, and no division by zero.
      const before = await server.api('GET', `/v1/analytics/insights?cardTemplateId=${insightsTemplate}&to=2020-01-01T00:00:00Z`);
      assert.deepEqual(before.body.data, [
        { cardTemplateId: insightsTemplate, sent: 0, displayed: 0, completed: 0, dismissed: 0, snoozed: 0, votedUp: 0, votedDown: 0, displayRate: 0, completionRate: 0, dismissRate: 0 },
      ]);
      const since = await server.api('GET', `/v1/analytics/insights?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
      assert.deepEqual(since.body.data, []);
    });

    test('the migration gives events stored before it the template of their card', async () => {
      const old = await freshStore(kind);
      const { db, close } = unmigratedDb(old.options);
      try {
        const migrator = new Migrator({ db, provider: migrationProvider(kind) });
        assert.equal((await migrator.migrateTo('002_realtime')).error, undefined);
        const card = { ...CARD, card_instance_id: randomUUID(), card_template_id: '0190a000-0000-4000-8000-0000000000c1' };
        await db.insertInto('cards').values(card as never).execute();
        const event = { id: randomUUID(), analytics_event: 'card-published', end_user_id: card.user_id, timestamp: 1, body: '{}' };
        await db.insertInto('analytics_events').values([
          { ...event, card_instance_id: card.card_instance_id, lifecycle_id: card.lifecycle_id },
          { ...event, id: randomUUID(), analytics_event: 'sdk-initialized', card_instance_id: null, lifecycle_id: null },
        ] as never).execute();
        assert.equal((await migrator.migrateToLatest()).error, undefined);
        const rows = await db.selectFrom('analytics_events').select(['analytics_event', 'card_template_id']).orderBy('seq').execute();
        assert.deepEqual(rows, [
          { analytics_event: 'card-published', card_template_id: '0190a000-0000-4000-8000-0000000000c1' },
          { analytics_event: 'sdk-initialized', card_template_id: null },
        ]);
      } finally {
        await close();
        await old.drop();
      }
    });
  });
}

describe('analytics reads on SQLite', () => {
  test('the events API and the export answer while a write transaction is in progress (they read on the read connection)', async () => {
    const store = await freshStore('sqlite');
    const server = await startServer(store.options);
    let release = async () => {};
    try {
      const template = await publishedTemplate(server);
      assert.equal((await send(server, template, ['reader-1'])).status, 201);
      // Credentials are looked up once and kept: the requests below read only analytics.
      assert.equal((await server.api('GET', '/v1/analytics/events?endUserId=reader-1')).status, 200);
      // A write in progress on the server's connection, as a send job's page is.
      const held = await holdWrite(server);
      release = held.release;
      const { within } = held;
      const page = await within('the events API', server.api('GET', '/v1/analytics/events?endUserId=reader-1'));
      assert.deepEqual(page.body.data.map((e: Event) => e.analyticsEvent), ['action-flow-started', 'card-published', 'action-flow-completed']);
      const exported = await within('the export', fetch(`${server.url}/v1/analytics/export?endUserId=reader-1`, { headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` } }).then((r) => r.text()));
      assert.equal(exported.trim().split('\n').length, 3);
    } finally {
      await release();
      await server.close();
      await store.drop();
    }
  });
});

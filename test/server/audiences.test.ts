// Audiences (CONTRACT §9): profiles, segments, sends to tags, segments, filters and everyone,
// and the segment events a profile change records; on SQLite and PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { AudienceFilter, Condition } from '../../packages/protocol/src/audiences.js';
import { matches } from '../../packages/card-stream-server/src/audiences/filter.js';
import { derivedId } from '../../packages/card-stream-server/src/ids.js';
import { EventContexts } from '../../packages/card-stream-server/src/analytics/event-contexts.js';
import { encodeCursor, EventReader, eventNameIs, readEvents } from '../../packages/card-stream-server/src/analytics/events-query.js';
import { TestSocket } from './sockets.js';
import { closeServer, endUserToken, openServer, publishedTemplate, sleep, startServer, STORE_KINDS, watchEventLoop, type TestServer, type TestStore } from './harness.js';

async function finishedJob(server: TestServer, statusUrl: string): Promise<any> {
  for (let i = 0; i < 600; i++) {
    const job = (await server.api('GET', statusUrl)).body;
    if (job.status === 'completed' || job.status === 'failed') return job;
    await sleep(50);
  }
  throw new Error('the send job did not finish');
}

for (const kind of STORE_KINDS) {
  describe(`audiences (${kind})`, () => {
    let store: TestStore;
    let server: TestServer;
    let template: string;
    before(async () => {
      ({ store, server } = await openServer(kind, { sendJobs: { pollMs: 50 } }));
      template = await publishedTemplate(server);
    });
    after(() => closeServer(server, store));

    test('a profile: attributes merge and null removes one, tags replace; bad input is a clear 400', async () => {
      const user = `p-${randomUUID()}`;
      const made = await server.api('PUT', `/v1/users/${user}`, { attributes: { plan: 'pro', seats: 3, beta: true }, tags: ['a', 'b'] });
      assert.equal(made.status, 200);
      assert.deepEqual([made.body.attributes, made.body.tags], [{ plan: 'pro', seats: 3, beta: true }, ['a', 'b']]);
      const changed = await server.api('PUT', `/v1/users/${user}`, { attributes: { seats: 5, beta: null, city: 'Oslo' } });
      assert.deepEqual([changed.body.attributes, changed.body.tags], [{ plan: 'pro', seats: 5, city: 'Oslo' }, ['a', 'b']]);
      assert.equal(changed.body.created, made.body.created);
      assert.deepEqual((await server.api('PUT', `/v1/users/${user}`, { tags: ['c'] })).body.tags, ['c']);
      for (const bad of [
        { attributes: { 'bad name': 1 } },
        { attributes: { nested: { a: 1 } } },
        { attributes: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`a${i}`, i])) },
        { tags: ['has space'] },
        { tags: ['x', 'x'] },
        { extra: 1 },
      ]) {
        const res = await server.api('PUT', `/v1/users/${user}`, bad);
        assert.equal(res.status, 400, JSON.stringify(bad).slice(0, 80));
        assert.equal(typeof res.body.error.message, 'string');
      }
      // A value of a union is named by what is wrong with it, not by the first branch it fails.
      for (const [bad, message] of [
        [{ attributes: { nested: { a: 1 } } }, /"attributes\.nested" must be a string, a number, a boolean or null/],
        [{ attributes: { long: 'x'.repeat(1001) } }, /"attributes\.long" must NOT have more than 1000 characters/],
      ] as const) {
        assert.match((await server.api('PUT', `/v1/users/${user}`, bad)).body.error.message, message);
      }
      assert.deepEqual((await server.api('GET', `/v1/users/${user}`)).body.attributes, { plan: 'pro', seats: 5, city: 'Oslo' });
      // Deleting the profile keeps the user's cards.
      await server.api('POST', `/v1/action-flows/${template}/start`, { flows: [{ target: { type: 'user', targetUserIds: [user] }, payload: { variables: { name: 'A' } } }] });
      assert.equal((await server.api('DELETE', `/v1/users/${user}`)).status, 204);
      assert.equal((await server.api('GET', `/v1/users/${user}`)).status, 404);
      assert.equal((await server.api('GET', `/v1/cards/count?userId=${user}`)).body.total, 1);
    });

    test('a batch of profiles; listing by tag and by segment, a page at a time', async () => {
      const tag = `t${randomUUID().slice(0, 8)}`;
      const users = Array.from({ length: 25 }, (_, i) => ({ userId: `b-${tag}-${String(i).padStart(2, '0')}`, attributes: { n: i }, tags: i % 2 ? [tag] : [] }));
      assert.deepEqual((await server.api('POST', '/v1/users/batch', { users })).body, { updated: 25 });
      const twice = await server.api('POST', '/v1/users/batch', { users: [users[0], users[0]] });
      assert.equal(twice.status, 400);
      const listed: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = (await server.api('GET', `/v1/users?tag=${tag}&limit=5${cursor ? `&cursor=${cursor}` : ''}`)).body;
        listed.push(...page.data.map((p: { userId: string }) => p.userId));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(listed, users.filter((_, i) => i % 2).map((u) => u.userId));
      const segment = (await server.api('POST', '/v1/segments', { name: 'big n', filter: { all: [{ tag }, { attribute: 'n', op: 'gte', value: 20 }] } })).body;
      const inSegment = (await server.api('GET', `/v1/users?segmentId=${segment.id}`)).body.data.map((p: { userId: string }) => p.userId);
      assert.deepEqual(inSegment, [users[21], users[23]].map((u) => u?.userId));
      assert.deepEqual((await server.api('GET', `/v1/segments/${segment.id}/count`)).body, { total: 2 });
    });

    test('segments: made, listed, changed, deleted; a bad filter is a 400 naming the condition', async () => {
      const made = await server.api('POST', '/v1/segments', { name: 'Pro', filter: { all: [{ attribute: 'plan', op: 'eq', value: 'pro' }] } });
      assert.equal(made.status, 201);
      assert.ok((await server.api('GET', '/v1/segments')).body.data.some((s: { id: string }) => s.id === made.body.id));
      const renamed = await server.api('PUT', `/v1/segments/${made.body.id}`, { name: 'Pro plan', filter: { any: [{ tag: 'pro' }] } });
      assert.equal(renamed.body.name, 'Pro plan');
      for (const [condition, text] of [
        [{ attribute: 'plan', op: 'in', value: 'pro' }, 'filter.all[0]'],
        [{ attribute: 'plan', op: 'exists', value: 1 }, 'filter.all[0]'],
        [{ attribute: 'seats', op: 'gt', value: true }, 'filter.all[0]'],
        [{ attribute: 'plan', op: 'eq' }, 'filter.all[0]'],
      ] as const) {
        const res = await server.api('POST', '/v1/segments', { name: 'bad', filter: { all: [condition] } });
        assert.equal(res.status, 400, JSON.stringify(condition));
        assert.equal(res.body.error.code, 'invalid_filter');
        assert.ok(res.body.error.message.includes(text), res.body.error.message);
      }
      assert.equal((await server.api('POST', '/v1/segments', { name: 'bad', filter: { all: [{ attribute: 'plan', op: 'like', value: 'x' }] } })).status, 400);
      // A condition that fails its schema is named by the shape it has most of: { tag } or { attribute, op, value }.
      for (const [condition, message] of [
        [{ attribute: 'plan', op: 'like', value: 'x' }, /"filter\.all\.0\.op" must be one of: eq, ne, gt/],
        [{ attribute: 'plan' }, /missing "filter\.all\.0\.op"/],
        [{ tag: 5 }, /"filter\.all\.0\.tag" must be string/],
        [{ attribute: 'plan', op: 'eq', value: { a: 1 } }, /"filter\.all\.0\.value" must be a string, a number, a boolean or an array/],
        ['pro', /"filter\.all\.0" must be an object/],
        // None of either shape's fields: the 400 names both shapes (it named the first one's "tag").
        [{}, /"filter\.all\.0" must be an object with "tag", or with "attribute" and "op"\./],
        [{ plan: 'pro' }, /"filter\.all\.0" must be an object with "tag", or with "attribute" and "op"\./],
      ] as const) {
        const res = await server.api('POST', '/v1/segments', { name: 'bad', filter: { all: [condition] } });
        assert.equal(res.status, 400);
        assert.match(res.body.error.message, message, JSON.stringify(condition));
      }
      assert.equal((await server.api('DELETE', `/v1/segments/${made.body.id}`)).status, 204);
      assert.equal((await server.api('GET', `/v1/segments/${made.body.id}`)).status, 404);
    });

    test('a segment counts and lists in the store exactly whom the same filter matches in memory', async () => {
      const tag = `m${randomUUID().slice(0, 8)}`;
      const plans = ['free', 'pro', 'team'];
      const profiles = Array.from({ length: 60 }, (_, i) => {
        const attributes: Record<string, string | number | boolean> = {};
        if (i % 3) attributes.plan = plans[i % 3] as string;
        if (i % 4) attributes.seats = i % 7;
        if (i % 5 === 0) attributes.beta = i % 2 === 0;
        attributes.scope = tag;
        return { userId: `m-${tag}-${i}`, attributes, tags: [tag, ...(i % 2 ? ['odd'] : []), ...(i % 6 === 0 ? ['six'] : [])] };
      });
      await server.api('POST', '/v1/users/batch', { users: profiles });
      const scope: Condition = { attribute: 'scope', op: 'eq', value: tag };
      const conditions: Condition[] = [
        { tag: 'odd' },
        { tag: 'six' },
        { attribute: 'plan', op: 'eq', value: 'pro' },
        { attribute: 'plan', op: 'ne', value: 'pro' },
        { attribute: 'plan', op: 'in', value: ['free', 'team'] },
        { attribute: 'plan', op: 'notIn', value: ['free'] },
        { attribute: 'plan', op: 'exists' },
        { attribute: 'plan', op: 'notExists' },
        { attribute: 'plan', op: 'contains', value: 'ea' },
        { attribute: 'plan', op: 'gt', value: 'pro' },
        { attribute: 'seats', op: 'gte', value: 3 },
        { attribute: 'seats', op: 'lt', value: 2 },
        { attribute: 'seats', op: 'lte', value: 4 },
        { attribute: 'seats', op: 'eq', value: '3' },
        { attribute: 'beta', op: 'eq', value: true },
        { attribute: 'beta', op: 'ne', value: false },
      ];
      const filters: AudienceFilter[] = [
        ...conditions.map((c) => ({ all: [scope, c] })),
        { all: [scope, { tag: 'odd' }], any: [{ attribute: 'seats', op: 'gt', value: 4 }, { tag: 'six' }] },
        { all: [scope], any: [{ attribute: 'plan', op: 'eq', value: 'team' }, { attribute: 'beta', op: 'exists' }] },
      ];
      for (const filter of filters) {
        const expected = profiles.filter((p) => matches(filter, p)).length;
        const segment = (await server.api('POST', '/v1/segments', { name: 'check', filter })).body;
        assert.equal((await server.api('GET', `/v1/segments/${segment.id}/count`)).body.total, expected, JSON.stringify(filter));
        // Listing asks each profile in turn (another reading of the filter): the same members.
        const listed = (await server.api('GET', `/v1/users?segmentId=${segment.id}&limit=1000`)).body.data.map((p: { userId: string }) => p.userId);
        assert.deepEqual(listed.sort(), profiles.filter((p) => matches(filter, p)).map((p) => p.userId).sort(), `listed: ${JSON.stringify(filter)}`);
      }
    });

    test('a profile change that moves a user into or out of a segment records segment-entered / -exited, once', async () => {
      const tag = `e${randomUUID().slice(0, 8)}`;
      const segment = (await server.api('POST', '/v1/segments', { name: `Has ${tag}`, filter: { all: [{ tag }] } })).body;
      const user = `e-${tag}`;
      await server.api('PUT', `/v1/users/${user}`, { tags: [tag] });
      await server.api('PUT', `/v1/users/${user}`, { tags: [tag], attributes: { x: 1 } }); // still in: nothing
      await server.api('PUT', `/v1/users/${user}`, { tags: [] });
      await server.api('POST', '/v1/users/batch', { users: [{ userId: user, tags: [tag] }] });
      const events = (await server.api('GET', `/v1/analytics/events?endUserId=${user}`)).body.data.filter((e: { analyticsEvent: string }) => e.analyticsEvent.startsWith('segment-'));
      assert.deepEqual(
        events.map((e: any) => [e.analyticsEvent, e.properties.segmentId, e.properties.segmentName]),
        [
          ['segment-entered', segment.id, `Has ${tag}`],
          ['segment-exited', segment.id, `Has ${tag}`],
          ['segment-entered', segment.id, `Has ${tag}`],
        ],
      );
      assert.equal((await server.api('GET', `/v1/analytics/events?analyticsEvent=segment-exited&endUserId=${user}`)).body.data.length, 1);
    });

    test('a send to a tag, a segment, a filter or everyone: 202, a job, one card per member, live to connected members', async () => {
      const tag = `s${randomUUID().slice(0, 8)}`;
      const members = Array.from({ length: 30 }, (_, i) => `s-${tag}-${i}`);
      await server.api('POST', '/v1/users/batch', { users: members.map((userId, i) => ({ userId, tags: [tag], attributes: { i } })) });
      await server.api('PUT', `/v1/users/outside-${tag}`, { tags: ['other'] });
      const token = await endUserToken(server, members[0] as string);
      const { socket } = await TestSocket.connect(server.url, token);
      const res = await server.api('POST', `/v1/action-flows/${template}/start`, {
        flows: [{ target: { type: 'tag', tags: [tag] }, payload: { variables: { name: 'Member' }, cardOptions: { priority: 2 } } }],
      });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body).sort(), ['flowInvocationId', 'sendJobId', 'statusUrl']);
      const job = await finishedJob(server, res.body.statusUrl);
      assert.deepEqual([job.status, job.matched, job.sent], ['completed', 30, 30]);
      const cards = (await server.api('GET', `/v1/cards?flowInvocationId=${res.body.flowInvocationId}&limit=1000`)).body.data;
      assert.deepEqual(cards.map((c: { userId: string }) => c.userId).sort(), [...members].sort());
      assert.ok(cards.every((c: any) => c.priority === 2 && c.definition.blocks[0].content === 'Hello Member' && c.status === 'active'));
      const change = await socket.waitFor((m) => m.type === 'change');
      assert.equal((change as any).card.definition.blocks[0].content, 'Hello Member');
      socket.ws.close();
      const published = (await server.api('GET', `/v1/analytics/events?analyticsEvent=card-published&endUserId=${members[5]}`)).body.data;
      assert.equal(published.length, 1);
      assert.equal(published[0].platformContext.flowInvocationId, res.body.flowInvocationId);
      // The same three events of each member's card as a send to listed users records.
      const memberCard = cards.find((c: { userId: string }) => c.userId === members[5]);
      const theirs = (await server.api('GET', `/v1/analytics/events?endUserId=${members[5]}`)).body.data;
      assert.deepEqual(
        theirs.map((e: any) => [e.analyticsEvent, e.id, e.cardContext.cardInstanceId, e.platformContext.flowInvocationId]),
        (['action-flow-started', 'card-published', 'action-flow-completed'] as const).map((name, i) => [name, derivedId(memberCard.cardInstanceId, (['startedEvent', 'sentEvent', 'completedEvent'] as const)[i]!), memberCard.cardInstanceId, res.body.flowInvocationId]),
      );
      // An embargoed card's events are not alike the published ones' (a row a card): the same three, card-embargoed in the middle.
      const embargoed = await server.api('POST', `/v1/action-flows/${template}/start`, {
        flows: [{ target: { type: 'tag', tags: [tag] }, payload: { variables: { name: 'Later' }, cardOptions: { embargo: new Date(Date.now() + 3_600_000).toISOString() } } }],
      });
      assert.equal((await finishedJob(server, embargoed.body.statusUrl)).sent, 30);
      const later = (await server.api('GET', `/v1/analytics/events?endUserId=${members[7]}`)).body.data.filter((e: any) => e.platformContext.flowInvocationId === embargoed.body.flowInvocationId);
      assert.deepEqual(later.map((e: any) => e.analyticsEvent), ['action-flow-started', 'card-embargoed', 'action-flow-completed']);

      const segment = (await server.api('POST', '/v1/segments', { name: 'low i', filter: { all: [{ tag }, { attribute: 'i', op: 'lt', value: 10 }] } })).body;
      for (const target of [{ type: 'segment', segmentId: segment.id }, { type: 'filter', filter: { all: [{ tag }, { attribute: 'i', op: 'lt', value: 10 }] } }]) {
        const sent = await server.api('POST', `/v1/action-flows/${template}/test`, { flows: [{ target, payload: { variables: { name: 'Few' } } }] });
        assert.equal(sent.status, 202);
        const done = await finishedJob(server, sent.body.statusUrl);
        assert.deepEqual([done.matched, done.sent], [10, 10]);
        const theirs = (await server.api('GET', `/v1/cards?flowInvocationId=${sent.body.flowInvocationId}&limit=1000`)).body.data;
        assert.equal(new Set(theirs.map((c: { userId: string }) => c.userId)).size, 10);
        assert.ok(theirs.every((c: { eventSource: string }) => c.eventSource === 'test'));
      }
      const everyone = await server.api('POST', `/v1/action-flows/${template}/start`, { flows: [{ target: { type: 'all' }, payload: { variables: { name: 'All' } } }] });
      const all = await finishedJob(server, everyone.body.statusUrl);
      const profiles = Number((await server.platform.services.store.db.selectFrom('user_profiles').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      assert.deepEqual([all.matched, all.sent], [profiles, profiles]);
    });

    test("a send job's cards are found, counted, acted on and cancelled by their flow invocation, with no entry in its index", async () => {
      const tag = `inv${randomUUID().slice(0, 8)}`;
      const members = Array.from({ length: 12 }, (_, i) => `inv-${tag}-${i}`);
      await server.api('POST', '/v1/users/batch', { users: members.map((userId) => ({ userId, tags: [tag] })) });
      // Cards of the same template around the job: a direct send before, another job after, a direct send after.
      const direct = async () => (await server.api('POST', `/v1/action-flows/${template}/start`, { flows: [{ target: { type: 'user', targetUserIds: members.slice(0, 2) }, payload: { variables: { name: 'Direct' } } }] })).body.flowInvocationId as string;
      const job = async () => {
        const res = await server.api('POST', `/v1/action-flows/${template}/start`, { flows: [{ target: { type: 'tag', tags: [tag] }, payload: { variables: { name: 'Job' } } }] });
        assert.equal((await finishedJob(server, res.body.statusUrl)).sent, 12);
        return res.body.flowInvocationId as string;
      };
      const before = await direct();
      const first = await job();
      const second = await job();
      const after = await direct();
      const cardsOf = async (invocation: string) => (await server.api('GET', `/v1/cards?flowInvocationId=${invocation}&limit=100`)).body.data as { userId: string; flowInvocationId: string; status: string; cardInstanceId: string }[];
      for (const [invocation, users] of [[before, members.slice(0, 2)], [first, members], [second, members], [after, members.slice(0, 2)]] as const) {
        const cards = await cardsOf(invocation);
        assert.deepEqual(cards.map((c) => c.userId).sort(), [...users].sort());
        assert.ok(cards.every((c) => c.flowInvocationId === invocation));
        assert.equal((await server.api('GET', `/v1/cards/count?flowInvocationId=${invocation}`)).body.total, users.length);
      }
      const db = server.platform.services.store.db;
      const marked = await db.selectFrom('cards').select(['flow_invocation_id', 'sent_by_job']).where('flow_invocation_id', 'in', [before, first, second, after]).execute();
      assert.ok(marked.every((row) => (row.sent_by_job === 1) === (row.flow_invocation_id === first || row.flow_invocation_id === second)));
      if (kind === 'sqlite') {
        // The index holds the cards no job made, and only those (but a send's first card, whose invocation id is made from its own: storage.test.ts).
        const entries = await sql<{ n: number }>`select sum(ncell) as n from dbstat where name = 'cards_flow_invocation' and pagetype = 'leaf'`.execute(db);
        const unmarked = await db.selectFrom('cards').select((eb) => eb.fn.countAll<number>().as('n')).where('sent_by_job', 'is', null).where('flow_invocation_id', '<>', '').executeTakeFirstOrThrow();
        assert.equal(Number(entries.rows[0]?.n), Number(unmarked.n));
      }
      // One card of the first job dismissed by its invocation and user, then the rest of it cancelled.
      const dismissed = await server.api('PUT', `/v1/cards/dismiss?flowInvocationId=${first}&userId=${members[3]}`);
      assert.equal(dismissed.status, 200, JSON.stringify(dismissed.body));
      const started = await server.api('POST', '/v1/cancel-jobs', { criteria: { flowInvocationId: first } });
      assert.equal(started.status, 202);
      for (let i = 0; i < 200 && (await server.api('GET', started.body.statusUrl)).body.status !== 'completed'; i++) await sleep(50);
      const cancel = (await server.api('GET', started.body.statusUrl)).body;
      assert.deepEqual([cancel.status, cancel.matched, cancel.cancelled], ['completed', 11, 11]);
      assert.deepEqual((await cardsOf(first)).map((c) => c.status).sort(), [...Array(11).fill('cancelled'), 'dismissed']);
      for (const untouched of [before, second, after]) assert.ok((await cardsOf(untouched)).every((c) => c.status === 'active'));
    });

        test('a send to an audience is checked before the job: variables, options, segment, filter', async () => {
      const send = (flow: Record<string, unknown>) => server.api('POST', `/v1/action-flows/${template}/start`, { flows: [flow] });
      assert.equal((await send({ target: { type: 'all' } })).body.error.code, 'missing_variables');
      assert.equal((await send({ target: { type: 'segment', segmentId: 'nope' }, payload: { variables: { name: 'x' } } })).status, 404);
      const bad = await send({ target: { type: 'filter', filter: { all: [{ attribute: 'a', op: 'in', value: 1 }] } }, payload: { variables: { name: 'x' } } });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /flows\[0\]\.target\.filter\.all\[0\]/);
      const wrongTarget = await send({ target: { type: 'tag' }, payload: { variables: { name: 'x' } } });
      assert.equal(wrongTarget.status, 400);
      assert.match(wrongTarget.body.error.message, /tags/);
    });

    test('job page rows stored before perCard (one event a card) are still read as one card-published a card', async () => {
      const tag = `old${randomUUID().slice(0, 8)}`;
      const members = Array.from({ length: 20 }, (_, i) => `old-${tag}-${String(i).padStart(2, '0')}`);
      await server.api('POST', '/v1/users/batch', { users: members.map((userId) => ({ userId, tags: [tag] })) });
      const oldTemplate = await publishedTemplate(server);
      const res = await server.api('POST', `/v1/action-flows/${oldTemplate}/start`, { flows: [{ target: { type: 'tag', tags: [tag] }, payload: { variables: { name: 'Old' } } }] });
      assert.equal((await finishedJob(server, res.body.statusUrl)).sent, 20);
      // Made as the version before stored them: span = its cards, no perCard, at the last `span` of the seqs it holds.
      const db = server.platform.services.store.db;
      const rows = await db.selectFrom('analytics_events').select(['seq', 'span', 'job_page']).where('job_page', 'like', `%${res.body.flowInvocationId}%`).execute();
      assert.equal(rows.length, 1);
      const page = JSON.parse(rows[0]!.job_page as string);
      assert.equal(page.perCard, 3);
      delete page.perCard;
      await db.updateTable('analytics_events').set({ span: 20, job_page: JSON.stringify(page) }).where('seq', '=', rows[0]!.seq).execute();
      const events = (await server.api('GET', `/v1/analytics/events?limit=1000&cursor=${encodeCursor(Number(rows[0]!.seq) - 60)}`)).body.data.filter((e: any) => e.platformContext.flowInvocationId === res.body.flowInvocationId);
      assert.deepEqual(events.map((e: any) => e.analyticsEvent), Array(20).fill('card-published'));
      assert.deepEqual(events.map((e: any) => e.endUserId).sort(), members);
      const theirs = (await server.api('GET', `/v1/analytics/events?endUserId=${members[3]}`)).body.data;
      assert.deepEqual(theirs.map((e: any) => [e.analyticsEvent, e.endUserId]), [['card-published', members[3]]]);
      assert.equal((await server.api('GET', `/v1/analytics/insights?cardTemplateId=${oldTemplate}`)).body.data[0].sent, 20);
    });

    test("a send job goes on while the server's thread is busy: its pages run on the job worker", async (t) => {
      // On the server's thread each page held every request and socket for as long as it ran
      // (issue 16: no request waits on a background job). Pages of 20 members here: 500 of them.
      const { store: ownStore, server } = await openServer(kind, { sendJobs: { pollMs: 50, pageSize: 20 } });
      t.after(() => closeServer(server, ownStore));
      const tag = `busy${randomUUID().slice(0, 8)}`;
      const members = Array.from({ length: 10_000 }, (_, i) => ({ userId: `busy-${i}`, tags: [tag] }));
      assert.equal((await server.api('POST', '/v1/users/batch', { users: members })).status, 200);
      const accepted = await server.api('POST', `/v1/action-flows/${await publishedTemplate(server)}/start`, { flows: [{ target: { type: 'tag', tags: [tag] }, payload: { variables: { name: 'Busy' } } }] });
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      let early = (await server.api('GET', accepted.body.statusUrl)).body;
      while (early.sent === 0 && early.status !== 'completed') early = (await server.api('GET', accepted.body.statusUrl)).body;
      assert.ok(early.sent < 10_000, `the job was still under way (${early.sent} sent)`);
      // This thread (the server's: it runs in this process) does nothing else for 3 s.
      const until = performance.now() + 3000;
      while (performance.now() < until);
      const late = (await server.api('GET', accepted.body.statusUrl)).body;
      // Pages on the server's thread would have sent at most the page in progress meanwhile
      // (20 members before, 20 after on PostgreSQL; 40 and 80 on SQLite, measured). On the
      // worker, thousands: 1,000 leaves room for a slow machine (7,280 seen on a busy one, and
      // all 10,000 on an idle one) without asking the job to finish in 3 s.
      assert.ok(late.sent - early.sent >= 1000, `${early.sent} sent before the server's thread was busy, ${late.sent} after`);
      const done = await finishedJob(server, accepted.body.statusUrl);
      assert.deepEqual([done.status, done.sent], ['completed', 10_000]);
    });

    test("a segment's count of 200,000 members holds up no other request: on a SQLite file the SQLite worker counts", { skip: kind !== 'sqlite' }, async (t) => {
      const { store: ownStore, server } = await openServer(kind);
      t.after(() => closeServer(server, ownStore));
      for (let from = 0; from < 200_000; from += 10_000) {
        const users = Array.from({ length: 10_000 }, (_, i) => ({ userId: `count-${from + i}`, attributes: { seats: (from + i) % 7 } }));
        assert.equal((await server.api('POST', '/v1/users/batch', { users })).status, 200);
      }
      const segment = (await server.api('POST', '/v1/segments', { name: 'Seats', filter: { all: [{ attribute: 'seats', op: 'gte', value: 0 }] } })).body;
      // The server runs in this process: its event loop held up is what every other request waits.
      const loop = watchEventLoop();
      const started = performance.now();
      const count = await server.api('GET', `/v1/segments/${segment.id}/count`);
      const took = performance.now() - started;
      const held = loop.stop();
      assert.equal(count.body.total, 200_000);
      console.log(`# counted 200,000 members in ${took.toFixed(1)} ms; the event loop held up ${held.toFixed(1)} ms at most`);
      assert.ok(held < took / 2, `the count held the event loop ${held.toFixed(1)} ms of ${took.toFixed(1)}`);
    });

    test("a send job page's events are a row (or a few), and every reader serves them as three events a card", async (t) => {
      // Its own server, whose pages double each time (100, 200, 400, 800, then the rest): a
      // page is rows of at most CARDS_A_ROW (170) cards, three events each.
      const { store: ownStore, server } = await openServer(kind, { sendJobs: { pollMs: 50, pageMs: 60_000 } });
      t.after(() => closeServer(server, ownStore));
      const tag = `pg${randomUUID().slice(0, 8)}`;
      const members = Array.from({ length: 1700 }, (_, i) => `jp-${tag}-${String(i).padStart(4, '0')}`);
      await server.api('POST', '/v1/users/batch', { users: members.map((userId) => ({ userId, tags: [tag] })) });
      const jobTemplate = await publishedTemplate(server);
      const insightsSent = async () => (await server.api('GET', `/v1/analytics/insights?cardTemplateId=${jobTemplate}`)).body.data[0].sent as number;
      await server.api('POST', `/v1/action-flows/${jobTemplate}/start`, { flows: [{ target: { type: 'user', targetUserIds: ['jp-direct'] }, payload: { variables: { name: 'D' } } }] });
      assert.equal(await insightsSent(), 1);
      // A member with events of their own around the job's: a direct send before it, a dismiss after.
      const mixed = members[120] as string;
      await server.api('POST', `/v1/action-flows/${jobTemplate}/start`, { flows: [{ target: { type: 'user', targetUserIds: [mixed] }, payload: { variables: { name: 'D' } } }] });
      const res = await server.api('POST', `/v1/action-flows/${jobTemplate}/start`, { flows: [{ target: { type: 'tag', tags: [tag] }, payload: { variables: { name: 'Page' } } }] });
      const invocation = res.body.flowInvocationId as string;
      assert.equal((await finishedJob(server, res.body.statusUrl)).sent, 1700);

      // Stored: rows of up to 170 cards, a page's at its time; none a member.
      const db = server.platform.services.store.db;
      const rows = await db.selectFrom('analytics_events').select(['seq', 'span', 'timestamp']).where('job_page', 'like', `%${invocation}%`).orderBy('seq').execute();
      assert.deepEqual(rows.map((row) => Number(row.span)).sort((x, y) => x - y), [90, 90, 180, 300, 360, ...Array(8).fill(510)]);
      const cardsAt = new Map<string, number>();
      for (const row of rows) cardsAt.set(String(row.timestamp), (cardsAt.get(String(row.timestamp)) ?? 0) + Number(row.span) / 3);
      assert.deepEqual([...cardsAt.values()], [100, 200, 400, 800, 200]);
      const perMember = await db.selectFrom('analytics_events').select(['end_user_id', 'span']).where('end_user_id', 'in', members).execute();
      assert.deepEqual(perMember, [{ end_user_id: mixed, span: 3 }]); // the direct send's
      const firstSeq = Number(rows[0]!.seq) - Number(rows[0]!.span) + 1;

      // Walked seven at a time from before the first row: one event a member.
      const walked: any[] = [];
      for (let cursor: string | null = encodeCursor(firstSeq - 1); cursor !== null; ) {
        const page: any = (await server.api('GET', `/v1/analytics/events?analyticsEvent=card-published&limit=7&cursor=${cursor}`)).body;
        cursor = page.nextCursor;
        walked.push(...page.data.filter((event: any) => event.platformContext.flowInvocationId === invocation));
      }
      assert.deepEqual(walked.map((e) => e.endUserId).sort(), members);
      const reader = new EventReader(db, new EventContexts(db));
      const stored = (await reader.page({ analyticsEvent: 'card-published' }, firstSeq - 1, 5000)).filter((e) => JSON.parse(e.body).platformContext.flowInvocationId === invocation);
      assert.deepEqual(stored.map((e) => JSON.parse(e.body)), walked);
      const seqOf = new Map(stored.map((e) => [JSON.parse(e.body).endUserId as string, e.seq]));
      // Each at a seq of its own among those its page's row stands for.
      assert.equal(new Set(seqOf.values()).size, 1700);
      for (const seq of seqOf.values()) assert.ok(rows.some((row) => seq <= Number(row.seq) && seq > Number(row.seq) - Number(row.span)), `seq ${seq}`);
      // Every seq the rows stand for is an event: a member's three at three seqs in a row, the card-published in the middle.
      const everyEvent = (await reader.page({}, firstSeq - 1, 10_000)).filter((e) => JSON.parse(e.body).platformContext.flowInvocationId === invocation);
      assert.equal(everyEvent.length, 5100);
      assert.deepEqual(everyEvent.map((e) => e.seq), rows.flatMap((row) => Array.from({ length: Number(row.span) }, (_, i) => Number(row.seq) - Number(row.span) + 1 + i)));
      for (const [i, event] of everyEvent.entries()) {
        const body = JSON.parse(event.body);
        const published = JSON.parse((everyEvent[i - (i % 3) + 1] as { body: string }).body);
        assert.equal(body.analyticsEvent, ['action-flow-started', 'card-published', 'action-flow-completed'][i % 3]);
        assert.equal(body.endUserId, published.endUserId);
        assert.equal(event.seq - (i % 3) + 1, seqOf.get(body.endUserId));
        assert.equal(body.id, derivedId(body.cardContext.cardInstanceId, (['startedEvent', 'sentEvent', 'completedEvent'] as const)[i % 3]!));
      }
      const cards: { userId: string; cardInstanceId: string; lifecycleId: string }[] = [];
      for (const offset of [0, 1000]) cards.push(...(await server.api('GET', `/v1/cards?flowInvocationId=${invocation}&limit=1000&offset=${offset}`)).body.data);
      const cardOf = new Map(cards.map((c) => [c.userId, c]));
      for (const event of walked) {
        const card = cardOf.get(event.endUserId)!;
        assert.equal(event.cardContext.cardInstanceId, card.cardInstanceId);
        assert.equal(event.id, derivedId(card.cardInstanceId, 'sentEvent'));
        assert.equal(event.platformContext.lifecycleId, card.lifecycleId);
        assert.equal(event.cardContext.publishedAt, event.timestamp);
      }
      // Pages of 37 over every event: the same events in the same order, a page ending inside a row.
      const all: any[] = [];
      for (let cursor: string | null = encodeCursor(firstSeq - 1); cursor !== null; ) {
        const page: any = (await server.api('GET', `/v1/analytics/events?limit=37&cursor=${cursor}`)).body;
        all.push(...page.data.filter((e: any) => e.analyticsEvent === 'card-published' && e.platformContext.flowInvocationId === invocation));
        cursor = page.nextCursor;
      }
      assert.deepEqual(all, walked);

      // By user, card and lifecycle: the member's events, at their seqs in the walk.
      const eventsAt = new Map(everyEvent.map((e) => [e.seq, JSON.parse(e.body)]));
      for (const user of [0, 99, 100, 169, 170, 700, 1100, 1499, 1699].map((i) => members[i] as string)) {
        const event = walked.find((e) => e.endUserId === user);
        const card = cardOf.get(user)!;
        const seq = seqOf.get(user)!;
        const three = [seq - 1, seq, seq + 1];
        for (const query of [`endUserId=${user}`, `cardInstanceId=${card.cardInstanceId}`, `lifecycleId=${card.lifecycleId}`, `endUserId=${user}&analyticsEvent=card-published`, `endUserId=${user}&analyticsEvent=action-flow-completed`]) {
          const name = new URLSearchParams(query).get('analyticsEvent');
          const seqs = name === null ? three : name === 'card-published' ? [seq] : [seq + 1];
          assert.deepEqual((await server.api('GET', `/v1/analytics/events?${query}`)).body.data, seqs.map((s) => eventsAt.get(s)), query);
          if (name === 'card-published') assert.deepEqual((await server.api('GET', `/v1/analytics/events?${query}`)).body.data, [event], query);
          const filter = Object.fromEntries(new URLSearchParams(query));
          assert.deepEqual((await reader.page(filter, 0, 10)).map((e) => e.seq), seqs, query);
          assert.deepEqual(await reader.page(filter, seqs.at(-1)!, 10), [], query);
          assert.deepEqual((await reader.page(filter, seqs[0]! - 1, 10)).map((e) => e.seq), seqs, query);
          assert.deepEqual((await reader.page(filter, seqs[0]!, 10)).map((e) => e.seq), seqs.slice(1), query);
        }
        assert.deepEqual((await server.api('GET', `/v1/analytics/events?endUserId=${user}&analyticsEvent=card-dismissed`)).body.data, []);
        assert.deepEqual((await server.api('GET', `/v1/analytics/events?endUserId=${user}&to=${encodeURIComponent(new Date(Date.parse(event.timestamp)).toISOString())}`)).body.data, []);
      }
      // Merged with the member's other events in seq order, whatever the page size.
      const jobCard = cardOf.get(mixed)!;
      assert.equal((await server.api('PUT', `/v1/cards/dismiss?cardInstanceId=${jobCard.cardInstanceId}`)).status, 200);
      const theirs = async (limit: number) => {
        const events: any[] = [];
        for (let cursor: string | null = null; ; ) {
          const page: any = (await server.api('GET', `/v1/analytics/events?endUserId=${mixed}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`)).body;
          events.push(...page.data);
          if ((cursor = page.nextCursor) === null) return events;
        }
      };
      const mixedEvents = await theirs(100);
      assert.deepEqual(
        mixedEvents.map((e) => [e.analyticsEvent, e.cardContext.cardInstanceId === jobCard.cardInstanceId]),
        [['action-flow-started', false], ['card-published', false], ['action-flow-completed', false], ['action-flow-started', true], ['card-published', true], ['action-flow-completed', true], ['card-dismissed', true]],
      );
      assert.deepEqual(mixedEvents[4], walked.find((e) => e.endUserId === mixed));
      for (const limit of [1, 2, 3]) assert.deepEqual(await theirs(limit), mixedEvents, `limit ${limit}`);

      // A webhook's batch bounded inside a row: up to that seq, then the rest.
      const contexts = new EventContexts(db);
      const batch = (after: number, end: number, names?: string[]) =>
        readEvents(db, contexts, { after, end, limit: 100, ...(names ? { where: (eb) => eventNameIs(eb, names), names } : {}) }).then((events) => events.map((e) => [e.seq, JSON.parse(e.body).endUserId]));
      const inFirst = [...seqOf.entries()].filter(([, seq]) => seq < firstSeq + 5).map(([user, seq]) => [seq, user]).sort((a, b) => Number(a[0]) - Number(b[0]));
      assert.deepEqual(await batch(firstSeq - 1, firstSeq + 4, ['card-published']), inFirst);
      assert.deepEqual((await batch(firstSeq + 4, firstSeq + 12, ['card-published'])).map(([seq]) => seq), [7, 10].map((i) => firstSeq + i));
      assert.deepEqual((await batch(firstSeq - 1, firstSeq + 4)).map(([seq]) => seq), [0, 1, 2, 3, 4].map((i) => firstSeq + i));
      assert.deepEqual((await batch(firstSeq + 4, firstSeq + 9)).map(([seq]) => seq), [5, 6, 7, 8, 9].map((i) => firstSeq + i));
      // Pages of one name, 7 at a time, from inside a row: each name's 1,700 events, none twice.
      for (const name of ['action-flow-started', 'action-flow-completed']) {
        const seen: number[] = [];
        for (let after = firstSeq + 1; ; ) {
          const page = await readEvents(db, contexts, { after, limit: 7, where: (eb) => eventNameIs(eb, [name]), names: [name] });
          const ours = page.filter((e) => JSON.parse(e.body).platformContext.flowInvocationId === invocation);
          seen.push(...ours.map((e) => e.seq));
          if (page.length < 7) break;
          after = page.at(-1)!.seq;
        }
        assert.deepEqual(seen, everyEvent.filter((e) => e.seq > firstSeq + 1 && JSON.parse(e.body).analyticsEvent === name).map((e) => e.seq), name);
        assert.equal(seen.length, name === 'action-flow-started' ? 1699 : 1700);
      }
      assert.equal(await insightsSent(), 1702);
    });
  });
}

if (STORE_KINDS.includes('postgres')) {
  describe('two servers on one PostgreSQL', () => {
    test('run a send job once: every member gets one card', async () => {
      const { store, server: a } = await openServer('postgres', { sendJobs: { pollMs: 20, pageSize: 50 } });
      const b = await startServer(store.options, { sendJobs: { pollMs: 20, pageSize: 50 } });
      try {
        const tag = `two${randomUUID().slice(0, 6)}`;
        await a.api('POST', '/v1/users/batch', { users: Array.from({ length: 2000 }, (_, i) => ({ userId: `two-${tag}-${i}`, tags: [tag] })) });
        const template = await publishedTemplate(a);
        const res = await a.api('POST', `/v1/action-flows/${template}/start`, { flows: [{ target: { type: 'tag', tags: [tag] }, payload: { variables: { name: 'Both' } } }] });
        const job = await finishedJob(b, res.body.statusUrl);
        assert.deepEqual([job.matched, job.sent], [2000, 2000]);
        const rows = await a.platform.services.store.db
          .selectFrom('cards')
          .select(['user_id'])
          .where('flow_invocation_id', '=', res.body.flowInvocationId)
          .execute();
        assert.equal(rows.length, 2000);
        assert.equal(new Set(rows.map((r) => r.user_id)).size, 2000);
      } finally {
        await b.close();
        await closeServer(a, store);
      }
    });
  });
}

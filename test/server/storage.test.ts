// The store itself, on SQLite and PostgreSQL: migrations, settings, persistence.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../packages/card-stream-server/src/store/database.js';
import { migrationProvider } from '../../packages/card-stream-server/src/store/migrations.js';
import { settingOrCreate } from '../../packages/card-stream-server/src/store/settings.js';
import { CredentialRepository } from '../../packages/card-stream-server/src/auth/credentials.js';
import { TemplateRepository } from '../../packages/card-stream-server/src/templates/repository.js';
import { Migrator, sql } from 'kysely';
import BetterSqlite3 from 'better-sqlite3';
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { STORE_FILE } from '../../packages/card-stream-server/src/store/data-dir.js';
import { BOOTSTRAP_KEY, freshStore, publishedTemplate, send, startServer, STORE_KINDS, unmigratedDb, type TestServer } from './harness.js';

/** A card row as sends stored it before 009_shared_contents, each with its own definition and payload. */
const OLD_CARD = {
  lifecycle_id: '0190a000-0000-7000-8000-000000000001',
  flow_instance_id: '0190a000-0000-7000-8000-000000000002',
  flow_invocation_id: '0190a000-0000-7000-8000-000000000003',
  card_template_id: '0190a000-0000-4000-8000-0000000000b1', // a template's id is a UUID (templates/repository.ts)
  card_template_name: 'Before',
  card_template_version: 2,
  event_name: '',
  event_source: 'live',
  stream_id: 'default',
  priority: 3,
  definition: '{"priority":3,"blocks":[{"type":"headline","content":"Hello Ada","id":"b1"}]}',
  status: 'active',
  created: 1_700_000_000_000,
  updated: 1_700_000_000_000,
  active_since: 1_700_000_000_000,
  embargo_until: null,
  expires_at: null,
  snoozed_until: null,
  completion: null,
  next_due: null,
  runtime_variables: '{"balance":"0"}',
};

for (const kind of STORE_KINDS) {
  describe(`storage (${kind})`, () => {
    test('migrations run once, data survives a reopen, and settings are created once under concurrency', async () => {
      const fresh = await freshStore(kind);
      try {
        let store = await openStore(fresh.options);
        const values = await Promise.all(Array.from({ length: 5 }, (_, i) => settingOrCreate(store.db, 'secret', () => `value-${i}`)));
        assert.equal(new Set(values).size, 1);
        const templates = new TemplateRepository(store.db);
        const created = await templates.create({ name: 'Kept', definition: { blocks: [{ type: 'divider' }] } });
        await Promise.all([1, 2, 3].map(() => templates.update(created.id, { name: 'Kept', definition: { blocks: [] } })));
        const creds = new CredentialRepository(store.db);
        const cred = await creds.create(['events']);
        await store.close();

        store = await openStore(fresh.options);
        try {
          const migrations = (await store.db.selectFrom('kysely_migration' as never).selectAll().execute()) as { name: string }[];
          const expected = Object.keys(await migrationProvider(store.kind).getMigrations()).sort();
          assert.ok(expected.length >= 2);
          assert.deepEqual(migrations.map((m) => m.name).sort(), expected, 'each migration ran once');
          assert.equal(await settingOrCreate(store.db, 'secret', () => 'other'), values[0]);
          const again = await new TemplateRepository(store.db).get(created.id);
          assert.equal(again?.version, 4, 'concurrent updates got distinct versions');
          assert.equal((await new CredentialRepository(store.db).findBySecret(cred.clientSecret))?.clientId, cred.clientId);
        } finally {
          await store.close();
        }
      } finally {
        await fresh.drop();
      }
    });

    if (kind === 'postgres') {
      test('every connection writes what it evicts out as it goes (a bulk job leaves no GBs for a checkpoint to sync at once)', async () => {
        const fresh = await freshStore(kind);
        const store = await openStore(fresh.options);
        try {
          // Several at once, so more than one connection of the pool answers.
          const settings = await Promise.all([1, 2, 3].map(() => sql<{ backend_flush_after: string }>`show backend_flush_after`.execute(store.db)));
          assert.deepEqual(settings.map((s) => s.rows[0]?.backend_flush_after), ['256kB', '256kB', '256kB']);
        } finally {
          await store.close();
          await fresh.drop();
        }
      });
    }

    test('cards and events stored before 009_shared_contents read back exactly as before', async () => {
      const old = await freshStore(kind);
      // As a send made it, and one whose payload no send makes (its target is another user).
      const sent = { ...OLD_CARD, card_instance_id: '0190a000-0000-7000-8000-00000000000a', user_id: 'ada', payload: '{"detail":{"name":"Ada"},"target":{"usersById":["ada"]},"cardOptions":{"priority":3},"metadata":{"k":[1]}}' };
      const odd = { ...OLD_CARD, card_instance_id: '0190a000-0000-7000-8000-00000000000b', user_id: 'bob', payload: '{"detail":{},"target":{"usersById":["eve"]},"cardOptions":{},"metadata":{}}' };
      const body = `{"id":"e1","endUserId":"ada","analyticsEvent":"card-published","timestamp":"2023-11-14T22:13:20.000Z","properties":{},"cardContext":{"cardInstanceId":"${sent.card_instance_id}"}}`;
      try {
        const { db, close } = unmigratedDb(old.options);
        try {
          const migrator = new Migrator({ db, provider: migrationProvider(kind) });
          assert.equal((await migrator.migrateTo('008_audiences')).error, undefined);
          await db.insertInto('cards').values([sent, odd] as never).execute();
          await db.insertInto('analytics_events').values({ id: 'e1', analytics_event: 'card-published', end_user_id: 'ada', timestamp: sent.created, card_instance_id: sent.card_instance_id, lifecycle_id: sent.lifecycle_id, card_template_id: sent.card_template_id, body } as never).execute();
          assert.equal((await migrator.migrateToLatest()).error, undefined);
          const stored = await db.selectFrom('cards').select(['card_instance_id', 'content_key', 'own_payload']).orderBy('card_instance_id').execute();
          assert.ok(stored.every((row) => row.content_key !== null));
          assert.deepEqual(stored.map((row) => row.own_payload), [null, odd.payload], 'only the payload its content cannot make is kept whole');
        } finally {
          await close();
        }
        const server = await startServer(old.options);
        try {
          for (const card of [sent, odd]) {
            const res = await server.api('GET', `/v1/cards?cardInstanceId=${card.card_instance_id}`);
            assert.equal(res.status, 200, JSON.stringify(res.body));
            const [read] = res.body.data;
            assert.deepEqual(read.definition, JSON.parse(card.definition));
            assert.deepEqual(read.payload, JSON.parse(card.payload));
            assert.deepEqual([read.cardTemplateName, read.userId, read.priority], [card.card_template_name, card.user_id, card.priority]);
          }
          const events = await fetch(`${server.url}/v1/analytics/export?endUserId=ada`, { headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` } });
          assert.equal(await events.text(), `${body}\n`);
        } finally {
          await server.close();
        }
      } finally {
        await old.drop();
      }
    });

    test("a send job's cards stored before 016_job_cards_by_job are found by their invocation through the job", async () => {
      const old = await freshStore(kind);
      const jobInvocation = '0190a000-0000-7000-8000-0000000000f1';
      const payload = (user: string) => `{"detail":{},"target":{"usersById":["${user}"]},"cardOptions":{},"metadata":{}}`;
      const at = OLD_CARD.created;
      // One of the job's cards made before the job's own time (a server whose clock was behind), one after.
      const early = { ...OLD_CARD, card_instance_id: '0190a000-0000-7000-8000-0000000000e1', user_id: 'early', flow_invocation_id: jobInvocation, created: at - 5, payload: payload('early') };
      const later = { ...OLD_CARD, card_instance_id: '0190a000-0000-7000-8000-0000000000e2', user_id: 'later', flow_invocation_id: jobInvocation, created: at + 10, payload: payload('later') };
      const direct = { ...OLD_CARD, card_instance_id: '0190a000-0000-7000-8000-0000000000e3', user_id: 'direct', payload: payload('direct') };
      try {
        const { db, close } = unmigratedDb(old.options);
        try {
          const migrator = new Migrator({ db, provider: migrationProvider(kind) });
          assert.equal((await migrator.migrateTo('008_audiences')).error, undefined);
          await db.insertInto('cards').values([early, later, direct] as never).execute();
          await db
            .insertInto('send_jobs')
            .values({ id: 'job-before', flow_invocation_id: jobInvocation, template_id: OLD_CARD.card_template_id, template_version: 2, event_source: 'live', flows: '[]', status: 'completed', matched: 2, sent: 2, requested_by: 'test', created: at, finished: at + 20 } as never)
            .execute();
          assert.equal((await migrator.migrateToLatest()).error, undefined);
          const marks = await db.selectFrom('cards').select(['user_id', 'sent_by_job']).orderBy('user_id').execute();
          assert.deepEqual(marks.map((row) => [row.user_id, row.sent_by_job]), [['direct', null], ['early', 1], ['later', 1]]);
          const job = await db.selectFrom('send_jobs').select('cards_from').executeTakeFirstOrThrow();
          assert.equal(Number(job.cards_from), at - 5, 'its cards start at the earliest of them');
          if (kind === 'sqlite') {
            // 017_cards_keyed_by_id: the table is keyed by card id, its indexes made again as they were.
            const { rows: table } = await sql<{ wr: number }>`select wr from pragma_table_list where name = 'cards'`.execute(db);
            assert.equal(table[0]?.wr, 1, 'WITHOUT ROWID');
            const { rows: indexes } = await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'cards' and sql is not null order by name`.execute(db);
            assert.deepEqual(indexes.map((i) => i.name), ['cards_created', 'cards_flow_instance', 'cards_flow_invocation', 'cards_lifecycle', 'cards_next_due', 'cards_template', 'cards_user']);
          }
        } finally {
          await close();
        }
        const server = await startServer(old.options);
        try {
          const users = async (query: string) => (await server.api('GET', `/v1/cards?${query}&limit=100`)).body.data.map((c: { userId: string }) => c.userId);
          assert.deepEqual(await users(`flowInvocationId=${jobInvocation}`), ['early', 'later']);
          assert.deepEqual(await users(`flowInvocationId=${OLD_CARD.flow_invocation_id}`), ['direct']);
          assert.equal((await server.api('GET', `/v1/cards/count?flowInvocationId=${jobInvocation}`)).body.total, 2);
        } finally {
          await server.close();
        }
      } finally {
        await old.drop();
      }
    });

    test("a send's first card stores '' for its flow invocation, made from its id, and is left out of the index on it; every query finds it as before", async () => {
      const store = await freshStore(kind);
      const server = await startServer(store.options);
      try {
        const template = await publishedTemplate(server);
        const solo = (await send(server, template, ['solo'])).body;
        const trio = (await send(server, template, ['t1', 't2', 't3'])).body;
        const db = server.platform.services.store.db;
        const stored = new Map((await db.selectFrom('cards').select(['card_instance_id', 'flow_invocation_id']).execute()).map((r) => [r.card_instance_id, r.flow_invocation_id]));
        assert.equal(stored.get(solo.cards[0].cardInstanceId), '', 'a one-user send stores no invocation id');
        assert.deepEqual(trio.cards.map((c: { cardInstanceId: string }) => stored.get(c.cardInstanceId)), ['', trio.flowInvocationId, trio.flowInvocationId], 'only the first card of a send has it made from its id');
        if (kind === 'sqlite') {
          const { rows } = await sql<{ n: number }>`select sum(ncell) as n from dbstat where name = 'cards_flow_invocation' and pagetype = 'leaf'`.execute(db);
          assert.equal(Number(rows[0]?.n), 2, "the index holds the two ids stored whole, not the ''");
        } else {
          const { rows } = await sql<{ n: number }>`select count(*)::int as n from cards where flow_invocation_id = ''`.execute(db);
          assert.equal(rows[0]?.n, 2);
          // With sequential scans off, an index whose predicate let '' in would be the plan.
          const plan = await db.transaction().execute(async (tx) => {
            await sql`set local enable_seqscan = off`.execute(tx);
            const explained = await sql<{ 'QUERY PLAN': string }>`explain select 1 from cards where flow_invocation_id = '' and sent_by_job is null`.execute(tx);
            return explained.rows.map((line) => line['QUERY PLAN']).join('\n');
          });
          assert.ok(!plan.includes('cards_flow_invocation'), `'' is not in the index:\n${plan}`);
        }
        // Read, counted and acted on by it, with the whole id in every answer and event.
        const cardsOf = async (invocation: string) => (await server.api('GET', `/v1/cards?flowInvocationId=${invocation}&limit=10`)).body.data as { userId: string; flowInvocationId: string }[];
        assert.deepEqual((await cardsOf(solo.flowInvocationId)).map((c) => [c.userId, c.flowInvocationId]), [['solo', solo.flowInvocationId]]);
        assert.deepEqual((await cardsOf(trio.flowInvocationId)).map((c) => [c.userId, c.flowInvocationId]), ['t1', 't2', 't3'].map((u) => [u, trio.flowInvocationId]));
        assert.equal((await server.api('GET', `/v1/cards/count?flowInvocationId=${trio.flowInvocationId}`)).body.total, 3);
        const dismissed = await server.api('PUT', `/v1/cards/dismiss?flowInvocationId=${trio.flowInvocationId}&userId=t1`);
        assert.equal(dismissed.status, 200, JSON.stringify(dismissed.body));
        const single = await server.api('GET', `/v1/cards?cardInstanceId=${solo.cards[0].cardInstanceId}`);
        assert.equal(single.body.data[0].flowInvocationId, solo.flowInvocationId);
        const events = (await server.api('GET', `/v1/analytics/events?endUserId=t1`)).body.data as { analyticsEvent: string; platformContext: { flowInvocationId: string } }[];
        assert.deepEqual([...new Set(events.map((e) => e.analyticsEvent))].sort(), ['action-flow-completed', 'action-flow-started', 'card-dismissed', 'card-published']);
        assert.ok(events.every((e) => e.platformContext.flowInvocationId === trio.flowInvocationId), JSON.stringify(events.map((e) => e.platformContext)));
      } finally {
        await server.close();
        await store.drop();
      }
    });
  });
}

/** The WAL header's checkpoint sequence number: SQLite adds one each time the WAL starts over from its beginning. */
function walRestarts(dataDir: string): number {
  const fd = openSync(join(dataDir, `${STORE_FILE}-wal`), 'r');
  try {
    const header = Buffer.alloc(16);
    readSync(fd, header, 0, 16, 0);
    return header.readUInt32BE(12);
  } finally {
    closeSync(fd);
  }
}

describe('storage (sqlite file)', () => {
  test('under writes that never pause the WAL still starts over, instead of growing by every write', async () => {
    const store = await freshStore('sqlite');
    const server = await startServer(store.options);
    try {
      const dataDir = (store.options as { dataDir: string }).dataDir;
      const template = await publishedTemplate(server);
      const before = walRestarts(dataDir);
      // Four senders, so a write is always in progress or about to be: a checkpoint beside
      // them never finds the WAL wholly copied at the moment a write begins.
      const until = Date.now() + 2500;
      let sent = 0;
      await Promise.all(
        [0, 1, 2, 3].map(async (i) => {
          while (Date.now() < until) {
            const res = await send(server, template, [`writer-${i}`]);
            assert.equal(res.status, 201);
            sent++;
          }
        }),
      );
      assert.ok(sent > 200, `only ${sent} sends`);
      assert.ok(walRestarts(dataDir) > before, `the WAL never started over in ${sent} sends`);
    } finally {
      await server.close();
      await store.drop();
    }
  });
});

describe('WAL checkpoints on SQLite (store/checkpoint.ts)', () => {
  test('the step that holds the server\'s writes comes after an unheld one that found the WAL as the step before it left it', async () => {
    const { createWriteGate } = await import('../../packages/card-stream-server/src/store/write-gate.js');
    const { checkpoint, passiveCheckpoint } = await import('../../packages/card-stream-server/src/store/checkpoint.js');
    const store = await freshStore('sqlite');
    const gate = createWriteGate();
    const server = await openStore(store.options, { gate, side: 'server' });
    const worker = await openStore(store.options, { gate, side: 'worker' });
    const put = (key: string) => server.db.insertInto('settings').values({ key, value: 'x'.repeat(2000) }).execute();
    try {
      for (let i = 0; i < 200; i++) await put(`before-${i}`);
      // Each step as the worker runs it, whether it held the server's writes (the worker's
      // slot, write-gate.ts), and a send landing just after the bulk step: a step copying
      // while a frame comes in leaves the database file unsynced, for the next to sync.
      const steps: { held: boolean; log: number }[] = [];
      await checkpoint(worker.db, gate, async (db) => {
        const result = await passiveCheckpoint(db);
        steps.push({ held: Atomics.load(gate, 1) === 1, log: result?.log ?? -1 });
        if (steps.length === 1) await put('during-the-bulk-step');
        return result;
      });
      assert.ok((steps[0]?.log ?? 0) > 0, 'the WAL had frames to copy');
      const held = steps.findIndex((s) => s.held);
      assert.equal(held, steps.length - 1, `only the last step holds the server: ${JSON.stringify(steps)}`);
      assert.ok(held >= 2, `unheld steps follow the bulk one: ${JSON.stringify(steps)}`);
      // (The send after a bulk step that copied everything starts the WAL over: fewer frames, not more.)
      assert.notEqual(steps[1]!.log, steps[0]!.log, 'the step after the bulk one found the send that came in');
      assert.equal(steps[held - 1]!.log, steps[held - 2]!.log, 'the last unheld step found the WAL as the one before it left it');
    } finally {
      await worker.close();
      await server.close();
      await store.drop();
    }
  });
});

describe('writes made at once on SQLite (store/write-now.ts)', () => {
  test('run only while the connection is free and the worker is outside a transaction, and roll back whole on a throw', async () => {
    const { createWriteGate } = await import('../../packages/card-stream-server/src/store/write-gate.js');
    const store = await freshStore('sqlite');
    const gate = createWriteGate();
    const opened = await openStore(store.options, { gate, side: 'server' });
    const now = opened.now!;
    const put = (key: string) => now.statement('insert into settings (key, value) values (?, ?)').run(key, 'v');
    const stored = async (key: string) => (await opened.db.selectFrom('settings').select('key').where('key', '=', key).executeTakeFirst()) !== undefined;
    try {
      assert.ok(now.held((transaction) => transaction(() => put('free'))), 'a free connection writes at once');
      assert.ok(await stored('free'));
      // A kysely transaction holds the connection: the write must not run inside it.
      await opened.db.transaction().execute(async (tx) => {
        await tx.insertInto('settings').values({ key: 'in-kysely', value: 'v' }).execute();
        assert.equal(now.held((transaction) => transaction(() => put('beside-kysely'))), undefined);
      });
      assert.equal(await stored('beside-kysely'), false);
      // The worker's slot is up (write-gate.ts): it is inside a transaction of its own.
      Atomics.store(gate, 1, 1);
      assert.equal(now.held((transaction) => transaction(() => put('beside-worker'))), undefined);
      Atomics.store(gate, 1, 0);
      assert.equal(await stored('beside-worker'), false);
      assert.throws(() => now.held((transaction) => transaction(() => {
        put('rolled-back');
        throw new Error('refused');
      })), /refused/);
      assert.equal(await stored('rolled-back'), false);
      assert.ok(now.held((transaction) => transaction(() => put('after'))), 'the connection is free again after each');
    } finally {
      await opened.close();
      await store.drop();
    }
  });

  test('sends made at once and sends made in kysely transactions share one change sequence per user', async () => {
    const store = await freshStore('sqlite');
    const server = await startServer(store.options);
    try {
      const template = await publishedTemplate(server);
      // Every third send carries an Idempotency-Key, whose record is written through kysely:
      // its group of sends takes kysely's transaction, the others are written at once. Each
      // user's changes must still number 1, 2, 3…
      const body = (user: string) => ({ flows: [{ target: { type: 'user', targetUserIds: [user] }, payload: { variables: { name: 'Ada' } } }] });
      const results = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          if (i % 3) return send(server, template, [`seq-${i % 4}`]);
          await new Promise((resolve) => setTimeout(resolve, i)); // not all in one group
          return server.api('POST', `/v1/action-flows/${template}/start`, body(`seq-${i % 4}`), undefined, { 'idempotency-key': `key-${i}` });
        }),
      );
      for (const res of results) assert.equal(res.status, 201);
      const opened = await openStore(store.options);
      try {
        // The change that makes a card is kept on the card (change-log.ts), not as a log row.
        assert.equal((await opened.db.selectFrom('card_changes').select('seq').execute()).length, 0);
        const rows = await opened.db.selectFrom('cards').select(['user_id', 'change_seq']).orderBy('user_id').orderBy('change_seq').execute();
        for (let u = 0; u < 4; u++) {
          assert.deepEqual(rows.filter((r) => r.user_id === `seq-${u}`).map((r) => Number(r.change_seq)), Array.from({ length: 10 }, (_, i) => i + 1));
        }
        const sequences = await opened.db.selectFrom('user_sequences').selectAll().orderBy('user_id').execute();
        assert.deepEqual(sequences.map((r) => [r.user_id, Number(r.last_seq)]), [0, 1, 2, 3].map((u) => [`seq-${u}`, 10]));
      } finally {
        await opened.close();
      }
    } finally {
      await server.close();
      await store.drop();
    }
  });
});

/**
 * Runs `test` with a server on a fresh SQLite data dir, a template published there, and the
 * store's file open on a connection of the test's own (`db`). `restart` closes the server,
 * runs `meanwhile` (the server stopped) and starts another on the same dir. All closed after.
 */
async function withServerOnFile(
  test: (it: { server: () => TestServer; template: string; db: BetterSqlite3.Database; restart: (meanwhile?: () => void) => Promise<void> }) => Promise<void>,
): Promise<void> {
  const store = await freshStore('sqlite');
  let server = await startServer(store.options);
  const db = new BetterSqlite3(join((store.options as { dataDir: string }).dataDir, STORE_FILE));
  try {
    const template = await publishedTemplate(server);
    const restart = async (meanwhile?: () => void) => {
      await server.close();
      meanwhile?.();
      server = await startServer(store.options);
    };
    await test({ server: () => server, template, db, restart });
  } finally {
    db.close();
    await server.close();
    await store.drop();
  }
}

describe("a send's two transactions on SQLite (cards/repository.ts, insertTogether)", () => {
  test('its cards reach the bus once committed and before their events are, and it is answered once both are', () =>
    withServerOnFile(async ({ server, template, db }) => {
      const count = (table: 'cards' | 'analytics_events', id: string) => (db.prepare(`select count(*) as n from ${table} where card_instance_id = ?`).get(id) as { n: number }).n;
      const seen: { cards: number; events: number }[] = [];
      const unsubscribe = server().platform.services.bus.subscribe((changes) => {
        for (const { card } of changes) seen.push({ cards: count('cards', card.card_instance_id), events: count('analytics_events', card.card_instance_id) });
      });
      const sent = await send(server(), template, ['two-tx-a', 'two-tx-b']);
      unsubscribe();
      assert.equal(sent.status, 201);
      // Read on a connection of its own while the change went by: the cards committed, their events not yet.
      assert.deepEqual(seen, [{ cards: 1, events: 0 }, { cards: 1, events: 0 }]);
      for (const card of sent.body.cards) assert.equal(count('analytics_events', card.cardInstanceId), 1, 'stored by the time of the answer');
    }));

  test('a change listener that throws after the cards committed fails the send, and their events are written all the same', () =>
    withServerOnFile(async ({ server, template, db }) => {
      const unsubscribe = server().platform.services.bus.subscribe(() => {
        throw new Error('listener failed');
      });
      const sent = await send(server(), template, ['listener-a']);
      unsubscribe();
      assert.equal(sent.status, 500);
      const stored = db.prepare("select (select count(*) from cards where user_id = 'listener-a') as cards, (select count(*) from analytics_events where end_user_id = 'listener-a') as events").get();
      assert.deepEqual(stored, { cards: 1, events: 1 });
    }));

  test('events that cannot be written after their cards were fail the sends, each card stored once, and the next start writes them', () =>
    withServerOnFile(async ({ server, template, db, restart }) => {
      db.exec("create trigger refuse_events before insert on analytics_events begin select raise(abort, 'events refused'); end");
      // Two sends in one group: after any other failure each is written again alone.
      const answers = await Promise.all([send(server(), template, ['after-a']), send(server(), template, ['after-b'])]);
      assert.deepEqual(answers.map((a) => a.status), [500, 500]);
      const cards = db.prepare("select user_id from cards where user_id like 'after-%' order by user_id").all() as { user_id: string }[];
      assert.deepEqual(cards.map((c) => c.user_id), ['after-a', 'after-b'], 'each card once');
      await restart(() => db.exec('drop trigger refuse_events'));
      for (const user of ['after-a', 'after-b']) {
        const events = (await server().api('GET', `/v1/analytics/events?endUserId=${user}`)).body.data;
        assert.deepEqual(events.map((e: { analyticsEvent: string }) => e.analyticsEvent), ['action-flow-started', 'card-published', 'action-flow-completed']);
      }
    }));

  test('a crash between the two (the last cards written, their events not) is made good at the next start, with the events the send would have stored', () =>
    withServerOnFile(async ({ server, template, db, restart }) => {
      const earlier = await send(server(), template, ['crash-a']);
      const embargo = new Date(Date.now() + 3_600_000).toISOString();
      const embargoed = await send(server(), template, ['crash-b'], { variables: { name: 'Bo' }, cardOptions: { embargo } });
      const last = await send(server(), template, ['crash-c', 'crash-d']);
      for (const res of [earlier, embargoed, last]) assert.equal(res.status, 201);
      const lost = [...embargoed.body.cards, ...last.body.cards].map((c: { cardInstanceId: string }) => c.cardInstanceId as string);
      const eventsOf = async (id: string) => (await server().api('GET', `/v1/analytics/events?cardInstanceId=${id}`)).body.data;
      const before = new Map(await Promise.all([earlier.body.cards[0].cardInstanceId as string, ...lost].map(async (id) => [id, await eventsOf(id)] as const)));
      assert.deepEqual(before.get(lost[0]!).map((e: { analyticsEvent: string }) => e.analyticsEvent), ['action-flow-started', 'card-embargoed', 'action-flow-completed']);
      // What a crash after the last sends' cards committed, before their events did, leaves.
      let removed = 0;
      await restart(() => {
        removed = db.prepare(`delete from analytics_events where card_instance_id in (${lost.map(() => '?').join(', ')})`).run(...lost).changes;
      });
      assert.ok(removed >= lost.length);
      for (const [id, events] of before) assert.deepEqual(await eventsOf(id), events, `the events of ${id}`);
      // Started again with nothing missing, it writes nothing.
      await restart();
      for (const [id, events] of before) assert.deepEqual(await eventsOf(id), events, `the events of ${id}, after a second start`);
    }));
});

describe('insertMany on SQLite', () => {
  test('many rows go as one statement and store exactly what one statement per row stores', async () => {
    const { default: BetterSqlite3 } = await import('better-sqlite3');
    const { sqliteInsertMany, sqliteInsertRows, BULK_ROWS } = await import('../../packages/card-stream-server/src/store/insert-many.js');
    const sqlite = new BetterSqlite3(':memory:');
    try {
      for (const table of ['bulk', 'single']) {
        sqlite.exec(`create table ${table} (id text primary key, n bigint, r real, t text, shared text, empty text)`);
      }
      const runs: string[] = [];
      const prepare = sqlite.prepare.bind(sqlite);
      sqlite.prepare = ((text: string) => {
        const statement = prepare(text);
        const run = statement.run.bind(statement);
        statement.run = ((...args: unknown[]) => (runs.push(text), run(...args))) as typeof statement.run;
        return statement;
      }) as typeof sqlite.prepare;
      const insertMany = sqliteInsertMany(sqliteInsertRows(sqlite));
      // Values that must come out as bound: whole and fractional numbers, numbers in a text
      // column, NULs, lone and paired surrogates, quotes and escapes, very long text. The first
      // batch can go through JSON; in the second some cannot, and all go one by one.
      const safe = ['plain', 'quote " and \\ backslash', '\\u0000 as text', 'é', 'x'.repeat(5000), '', 'null'];
      const unsafe = ['nul \u0000 inside', 'lone \ud800 surrogate', 'pair 😀'];
      const batch = (from: number, texts: (string | number)[]) =>
        Array.from({ length: BULK_ROWS * 2 }, (_, i) => ({
          id: `id-${from + i}`,
          n: i % 5 === 0 ? null : (from + i) * 1_000_000_007,
          r: 1.5,
          t: texts[i % texts.length],
          shared: 'same for all',
          empty: undefined,
        }));
      const batches = [batch(0, safe), ...unsafe.map((text, i) => batch(1000 * (i + 1), [...safe, text])), batch(5000, [...safe, 7]), batch(6000, safe).map((r, i) => ({ ...r, r: i / 3 }))];
      const tx = undefined as never;
      for (const rows of batches) assert.equal(await insertMany(tx, 'bulk' as never, rows as never), rows.length);
      assert.equal(runs.filter((s) => s.includes('json_each')).length, 1, 'the first batch as one statement, the others one by one');
      for (const row of batches.flat()) assert.equal(await insertMany(tx, 'single' as never, [row] as never), 1);
      // A clash skipped when asked, either way.
      const again = [...batches[0]!.slice(0, BULK_ROWS), { ...batches[0]![0]!, id: 'new' }];
      assert.equal(await insertMany(tx, 'bulk' as never, again as never, { ignoreConflictOn: 'id' }), 1);
      assert.equal(await insertMany(tx, 'single' as never, [again.at(-1)] as never, { ignoreConflictOn: 'id' }), 1);
      const read = (table: string) => sqlite.prepare(`select id, n, typeof(n) as tn, r, typeof(r) as tr, t, typeof(t) as tt, hex(t) as ht, shared, empty from ${table} order by rowid`).all();
      assert.deepEqual(read('bulk'), read('single'));
      // Whole numbers through JSON are stored as a bound number is: as integers in an integer column.
      const mixed = Array.from({ length: BULK_ROWS }, (_, i) => ({ id: `m-${i}`, n: i, r: 2, t: `t${i}`, shared: null, empty: null }));
      assert.equal(await insertMany(tx, 'bulk' as never, mixed as never), mixed.length);
      assert.deepEqual(
        sqlite.prepare(`select distinct typeof(n) as tn, typeof(r) as tr from bulk where id like 'm-%'`).all(),
        [{ tn: 'integer', tr: 'real' }],
      );
    } finally {
      sqlite.close();
    }
  });
});

for (const kind of STORE_KINDS) {
  describe(`insertMany (${kind})`, () => {
    test('many rows sharing some values store what the same rows inserted one by one store', async () => {
      const { BULK_ROWS } = await import('../../packages/card-stream-server/src/store/insert-many.js');
      const { sql } = await import('kysely');
      const fresh = await freshStore(kind);
      const store = await openStore(fresh.options);
      try {
        for (const table of ['many_rows', 'one_by_one']) {
          await sql`create table ${sql.table(table)} (id text primary key, n bigint, t text, shared text, flag integer, empty text, part text)`.execute(store.db);
        }
        const rows = Array.from({ length: BULK_ROWS * 3 }, (_, i) => ({
          id: `id-${i}`,
          n: i % 4 === 0 ? null : i * 1_000_000_007,
          t: ['a', 'quote " \\ {}', 'é 😀', '', 'NULL', '{"x":1}'][i % 6],
          shared: 'same for all',
          flag: 1,
          empty: null,
          part: i < BULK_ROWS ? 'first' : 'second',
        }));
        const count = (table: string, batch: object[]) => store.db.transaction().execute((tx) => store.insertMany(tx, table as never, batch as never, { ignoreConflictOn: 'id' }));
        assert.equal(await count('many_rows', rows), rows.length);
        for (const row of rows) assert.equal(await count('one_by_one', [row]), 1);
        // With clashes skipped, whatever shares a value.
        assert.equal(await count('many_rows', [...rows.slice(0, BULK_ROWS), { ...rows[1]!, id: 'new' }]), 1);
        assert.equal(await count('one_by_one', [{ ...rows[1]!, id: 'new' }]), 1);
        const read = async (table: string) =>
          (await sql<Record<string, unknown>>`select id, n, t, shared, flag, empty, part from ${sql.table(table)} order by id`.execute(store.db)).rows.map((r) => ({ ...r, n: r.n === null ? null : Number(r.n) }));
        const stored = await read('many_rows');
        assert.deepEqual(stored, await read('one_by_one'));
        assert.equal(stored.length, rows.length + 1);
      } finally {
        await store.close();
        await fresh.drop();
      }
    });
  });
}

describe('storage (in memory)', () => {
  test("an action by flow invocation looks its send job up inside the action's transaction, on the store's one connection", { timeout: 20_000 }, async () => {
    const store = await freshStore('memory');
    const server = await startServer(store.options);
    try {
      const template = await publishedTemplate(server);
      const sent = await server.api('POST', `/v1/action-flows/${template}/start`, { flows: [{ target: { type: 'user', targetUserIds: ['mem-user'] }, payload: { variables: { name: 'A' } } }] });
      // Looked up outside it, the lookup waited for the connection the transaction holds.
      const dismissed = await Promise.race([
        server.api('PUT', `/v1/cards/dismiss?flowInvocationId=${sent.body.flowInvocationId}`),
        new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), 5000).unref()),
      ]);
      assert.notEqual(dismissed, 'stuck');
      assert.equal(dismissed === 'stuck' ? 0 : dismissed.status, 200);
    } finally {
      await server.close();
      await store.drop();
    }
  });
});

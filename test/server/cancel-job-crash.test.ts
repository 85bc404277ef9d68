// Bulk cancel jobs after a crash (CONTRACT §4): kill -9 the server while a job is under way
// (on PostgreSQL, pages side by side), start it again on the same store, and the job
// completes having cancelled every card once: one `card-cancelled` event and one change-log
// entry per card, and a `cancelled` count that matches; on SQLite and PostgreSQL.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { sql } from 'kysely';
import { freshStore, sleep, STORE_KINDS } from './harness.js';
import { fillCards } from './fill.js';
import { killHard, processApi as api, publishedTemplateAt, startMain, stopGently, storeEnv } from './processes.js';
import { openStore } from '../../packages/card-stream-server/src/store/database.js';

const CARDS = 50_000;

for (const kind of STORE_KINDS) {
  describe(`bulk cancel jobs after a crash (${kind})`, () => {
    test('kill -9 mid-job: after a restart the job completes and every card is cancelled exactly once', async () => {
      const store = await freshStore(kind);
      const env = storeEnv(store);
      let first: ChildProcess | undefined;
      let second: ChildProcess | undefined;
      try {
        const a = startMain(env);
        first = a.child;
        const url = await a.url;
        const template = await publishedTemplateAt(url);
        assert.equal((await api(url, 'POST', `/v1/action-flows/${template}/start`, { flows: [{ target: { type: 'user', targetUserIds: ['model'] } }] })).status, 201);
        const filler = await openStore(store.options);
        const model = await filler.db.selectFrom('cards').selectAll().executeTakeFirstOrThrow();
        await fillCards(filler, model, CARDS - 1, 5_000, 'crash-');
        await filler.close();

        const job = (await api(url, 'POST', '/v1/cancel-jobs', { criteria: { cardTemplateId: template } })).body;
        // Killed as soon as some cards are cancelled and others are not.
        let before = (await api(url, 'GET', job.statusUrl)).body;
        for (let i = 0; i < 5000 && before.cancelled === 0; i++) before = (await api(url, 'GET', job.statusUrl)).body;
        await killHard(first);
        assert.ok(before.cancelled > 0 && before.cancelled < CARDS, `killed mid-job (${before.cancelled} of ${CARDS} cancelled)`);

        const b = startMain(env);
        second = b.child;
        const again = await b.url;
        const restarted = Date.now();
        // On PostgreSQL the dead server's lease (30 s) runs out first; a SQLite directory is
        // held by one process, so its restart frees the lease at once.
        let done = (await api(again, 'GET', job.statusUrl)).body;
        for (let i = 0; i < 1800 && done.status !== 'completed'; i++) {
          await sleep(50);
          done = (await api(again, 'GET', job.statusUrl)).body;
        }
        assert.deepEqual([done.status, done.matched, done.cancelled], ['completed', CARDS, CARDS]);
        if (kind === 'sqlite') assert.ok(Date.now() - restarted < 15_000, `the job went on at once after the restart (${Date.now() - restarted} ms)`);
        assert.equal((await api(again, 'GET', `/v1/cards/count?cardTemplateId=${template}&status=cancelled`)).body.total, CARDS);

        const reader = await openStore(store.options);
        try {
          const events = await sql<{ n: number | string; cards: number | string }>`
            select count(*) as n, count(distinct e.card_instance_id) as cards from analytics_events e
            join cards c on cast(c.card_instance_id as text) = e.card_instance_id
            where e.analytics_event = 'card-cancelled' and c.card_template_id = ${template}`.execute(reader.db);
          assert.deepEqual([Number(events.rows[0]?.n), Number(events.rows[0]?.cards)], [CARDS, CARDS], 'one card-cancelled event per card');
          const changes = await sql<{ n: number | string; cards: number | string }>`
            select count(*) as n, count(distinct ch.card_instance_id) as cards from card_changes ch
            join cards c on c.card_instance_id = ch.card_instance_id
            where ch.status = 'cancelled' and c.card_template_id = ${template}`.execute(reader.db);
          assert.deepEqual([Number(changes.rows[0]?.n), Number(changes.rows[0]?.cards)], [CARDS, CARDS], 'one logged change per card');
        } finally {
          await reader.close();
        }
      } finally {
        await killHard(first);
        await stopGently(second);
        await store.drop();
      }
    });
  });
}

// Send jobs after a crash (CONTRACT §9): kill -9 the server while a send to an audience is
// under way, start it again on the same store, and the job completes with every member
// holding exactly one card of the invocation; on SQLite and PostgreSQL.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { freshStore, sleep, STORE_KINDS } from './harness.js';
import { killHard, processApi as api, publishedTemplateAt, startMain, stopGently, storeEnv } from './processes.js';

const MEMBERS = 30_000;

for (const kind of STORE_KINDS) {
  describe(`send jobs after a crash (${kind})`, () => {
    test('kill -9 mid-job: after a restart the job completes and every member holds exactly one card', async () => {
      const store = await freshStore(kind);
      const env = storeEnv(store);
      let first: ChildProcess | undefined;
      let second: ChildProcess | undefined;
      try {
        const a = startMain(env);
        first = a.child;
        const url = await a.url;
        const template = await publishedTemplateAt(url);
        for (let from = 0; from < MEMBERS; from += 10_000) {
          const users = Array.from({ length: 10_000 }, (_, i) => ({ userId: `member-${String(from + i).padStart(6, '0')}`, tags: ['crash'] }));
          assert.equal((await api(url, 'POST', '/v1/users/batch', { users })).status, 200);
        }
        const accepted = await api(url, 'POST', `/v1/action-flows/${template}/start`, { flows: [{ target: { type: 'tag', tags: ['crash'] } }] });
        assert.equal(accepted.status, 202, JSON.stringify(accepted.body));

        // Killed as soon as some members have their cards and others do not.
        let before = (await api(url, 'GET', accepted.body.statusUrl)).body;
        for (let i = 0; i < 2000 && before.sent === 0; i++) before = (await api(url, 'GET', accepted.body.statusUrl)).body;
        await killHard(first);
        assert.ok(before.sent > 0 && before.sent < MEMBERS, `killed mid-job (${before.sent} of ${MEMBERS} sent)`);

        const b = startMain(env);
        second = b.child;
        const again = await b.url;
        let job = (await api(again, 'GET', accepted.body.statusUrl)).body;
        // PostgreSQL's store may be shared: the dead server's lease (15 s) must run out first.
        for (let i = 0; i < 1200 && job.status !== 'completed'; i++) {
          await sleep(50);
          job = (await api(again, 'GET', accepted.body.statusUrl)).body;
        }
        assert.deepEqual([job.status, job.matched, job.sent], ['completed', MEMBERS, MEMBERS]);

        const perUser = new Map<string, number>();
        const cardOf = new Map<string, string>();
        for (let offset = 0; ; offset += 1000) {
          const page = (await api(again, 'GET', `/v1/cards?flowInvocationId=${accepted.body.flowInvocationId}&limit=1000&offset=${offset}`)).body;
          for (const card of page.data as { userId: string; cardInstanceId: string }[]) {
            perUser.set(card.userId, (perUser.get(card.userId) ?? 0) + 1);
            cardOf.set(card.userId, card.cardInstanceId);
          }
          if (page.data.length < 1000) break;
        }
        assert.equal(perUser.size, MEMBERS, 'every member has a card');
        assert.deepEqual([...new Set(perUser.values())], [1], 'nobody has two');

        // And one each of a send's three events of it, whichever side of the crash its page was
        // (analytics/job-page-events.ts: the pages after the restart cover the users of those before).
        const recorded = new Map<string, string[]>();
        for (let cursor: string | null = null; ; ) {
          const page: any = (await api(again, 'GET', `/v1/analytics/events?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)).body;
          for (const event of page.data) recorded.set(event.endUserId, [...(recorded.get(event.endUserId) ?? []), `${event.analyticsEvent} ${event.cardContext.cardInstanceId}`]);
          if ((cursor = page.nextCursor) === null) break;
        }
        assert.equal(recorded.size, MEMBERS);
        for (const [user, events] of recorded) assert.deepEqual(events, ['action-flow-started', 'card-published', 'action-flow-completed'].map((name) => `${name} ${cardOf.get(user)}`), user);
        const insights = (await api(again, 'GET', `/v1/analytics/insights?cardTemplateId=${template}`)).body;
        assert.equal(insights.data[0].sent, MEMBERS);
      } finally {
        await killHard(first);
        await stopGently(second);
        await store.drop();
      }
    });
  });
}

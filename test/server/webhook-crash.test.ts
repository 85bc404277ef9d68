// Webhooks after a crash (issue 16): kill -9 the server while a batch is being delivered,
// start it again, and deliveries resume within 5 s; at most the batch in flight arrives
// twice, and every event carries the stable id receivers de-duplicate on.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freshStore, sleep, STORE_KINDS } from './harness.js';
import { killHard, processApi as api, publishedTemplateAt, startMain, stopGently, storeEnv } from './processes.js';

for (const kind of STORE_KINDS) {
  describe(`webhooks after a crash (${kind})`, () => {
    test('kill -9 mid-delivery: a restart resumes within 5 s, sending at most the batch in flight twice', async () => {
      const store = await freshStore(kind);
      const env = storeEnv(store);
      const received: { at: number; ids: string[] }[] = [];
      let inFlight = 0;
      const receiver = createServer((req, res) => {
        let body = '';
        inFlight++;
        req.on('data', (chunk) => (body += chunk));
        req.on('end', () => {
          const ids = (JSON.parse(body) as { events: { id: string }[] }).events.map((e) => e.id);
          received.push({ at: Date.now(), ids });
          // Slow, so a batch is under way when the server is killed.
          setTimeout(() => {
            inFlight--;
            res.end();
          }, 1500);
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      let first: ChildProcess | undefined;
      let second: ChildProcess | undefined;
      try {
        const a = startMain(env);
        first = a.child;
        const url = await a.url;
        const template = await publishedTemplateAt(url);
        assert.equal((await api(url, 'POST', '/v1/webhooks', { url: hookUrl, events: ['card-published'], secret: 'crash-test-secret' })).status, 201);
        const users = Array.from({ length: 250 }, (_, i) => `crash-${i}`);
        assert.equal((await api(url, 'POST', `/v1/action-flows/${template}/start`, { flows: [{ target: { type: 'user', targetUserIds: users } }] })).status, 201);

        for (let i = 0; i < 200 && inFlight === 0; i++) await sleep(25);
        assert.ok(inFlight > 0, 'a batch is being delivered');
        await killHard(first);
        const deliveredBefore = received.length;

        const b = startMain(env);
        second = b.child;
        await b.url;
        const restarted = Date.now();
        for (let i = 0; i < 400 && received.length === deliveredBefore; i++) await sleep(25);
        const resumedAfter = (received[deliveredBefore]?.at ?? Infinity) - restarted;
        assert.ok(resumedAfter < 5000, `deliveries resumed ${resumedAfter} ms after the restart`);

        const all = () => received.flatMap((r) => r.ids);
        for (let i = 0; i < 600 && new Set(all()).size < 250; i++) await sleep(50);
        assert.equal(new Set(all()).size, 250, 'every event arrives');
        const repeats = all().length - new Set(all()).size;
        assert.ok(repeats <= 100, `${repeats} events arrived twice (at most the batch in flight)`);
      } finally {
        await killHard(first);
        await stopGently(second);
        receiver.close();
        await store.drop();
      }
    });
  });
}

// An export holds up no other request (issue 16: no request waits on a background job). The
// server runs as its own process and the client takes every chunk as it comes, as
// bench/export.ts does: on SQLite, whose reads are synchronous, the export read page after
// page in one turn of the event loop, and a request sent meanwhile was answered only once
// the export had ended.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { ChildProcess } from 'node:child_process';
import { freshStore, STORE_KINDS } from './harness.js';
import { PROCESS_KEY, processApi as api, publishedTemplateAt, startMain, stopGently, storeEnv } from './processes.js';

const headers = { authorization: `Bearer ${PROCESS_KEY}` };

for (const kind of STORE_KINDS) {
  describe(`an export and other requests (${kind})`, () => {
    test('a request sent while an export streams is answered before the export ends', async () => {
      const store = await freshStore(kind);
      let child: ChildProcess | undefined;
      try {
        const started = startMain(storeEnv(store));
        child = started.child;
        const url = await started.url;
        const template = await publishedTemplateAt(url);
        // 60,000 events: two sends of 10,000 cards, three events a card.
        for (const batch of [0, 1]) {
          const targetUserIds = Array.from({ length: 10_000 }, (_, i) => `export-${batch}-${i}`);
          assert.equal((await api(url, 'POST', `/v1/action-flows/${template}/start`, { flows: [{ target: { type: 'user', targetUserIds } }] })).status, 201);
        }

        const res = await fetch(`${url}/v1/analytics/export`, { headers });
        assert.equal(res.status, 200);
        let lines = 0;
        let asked: Promise<number> | undefined;
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          // Counted as fast as it comes (a slow reader would give the server turns of its own).
          for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
          // Once the export is under way, another request.
          asked ??= fetch(`${url}/v1/cards?userId=export-0-1`, { headers }).then(async (r) => {
            assert.equal(r.status, 200);
            assert.equal((await r.json()).data.length, 1);
            return performance.now();
          });
        }
        const exportEnded = performance.now();
        assert.equal(lines, 60_000);
        assert.ok(asked);
        const answered = await asked;
        assert.ok(answered < exportEnded, `the request was answered ${(answered - exportEnded).toFixed(0)} ms after the export ended`);
      } finally {
        await stopGently(child);
        await store.drop();
      }
    });
  });
}

// Export benchmark: BENCH_EVENTS analytics events (default 1,000,000) exported as NDJSON
// over HTTP, with the server's resident memory sampled and the API probed during the export.
// The store is filled in this process, then served by a platform process of its own, so the
// RSS figures are the server's alone and the client only counts lines as they stream by.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { BOOTSTRAP_KEY, freshStore, publishedTemplate, send, startServer } from '../test/server/harness.js';
import { PLATFORM_MAIN, probeApi, spawnServer, stallFigure } from './support.js';
import { record } from './results.js';

const area = 'analytics export (SQLite on disk)';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const CHUNK = 500;
const SAMPLE_MS = 50;

export async function run(): Promise<void> {
  const store = await freshStore('sqlite');
  try {
    // Fill: one real event from a real send, copied with new ids.
    const filler = await startServer(store.options);
    try {
      const templateId = await publishedTemplate(filler);
      await send(filler, templateId, ['export-user']);
      const db = filler.platform.services.store.db;
      // On SQLite the send's row stands for its three events (a span): each copy is one event.
      const { seq: _seq, span: _span, ...model } = await db.selectFrom('analytics_events').selectAll().where('analytics_event', '=', 'card-published').executeTakeFirstOrThrow();
      const existing = Number((await db.selectFrom('analytics_events').select(sql<number>`sum(coalesce(span, 1))`.as('n')).executeTakeFirstOrThrow()).n);
      const modelBody = JSON.parse(model.body) as Record<string, unknown>;
      const fillStart = performance.now();
      for (let done = existing; done < EVENTS; ) {
        const n = Math.min(CHUNK * 40, EVENTS - done);
        await db.transaction().execute(async (tx) => {
          for (let i = 0; i < n; i += CHUNK) {
            const rows = [];
            for (let j = 0; j < Math.min(CHUNK, n - i); j++) {
              const id = randomUUID();
              rows.push({ ...model, id, body: JSON.stringify({ ...modelBody, id }) });
            }
            await tx.insertInto('analytics_events').values(rows).execute();
          }
        });
        done += n;
      }
      const fillSeconds = (performance.now() - fillStart) / 1000;
      console.log(`fill: ${EVENTS - existing} events in ${fillSeconds.toFixed(1)} s (${((EVENTS - existing) / fillSeconds).toFixed(0)} rows/s)`);
    } finally {
      await filler.close();
    }

    if (store.options.kind !== 'sqlite') throw new Error('the export bench runs on SQLite');
    const server = await spawnServer(PLATFORM_MAIN, ['--port', '0', '--data-dir', store.options.dataDir, '--no-demo'], { BOOTSTRAP_KEY });
    try {
      const reads = probeApi(() => fetch(`${server.url}/v1/cards?userId=export-user`, { headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` } }));
      const idle = server.rssMb();
      let peak = idle;
      let start = NaN;
      const sampler = setInterval(() => {
        const rss = server.rssMb();
        if (Number.isNaN(start)) start = rss;
        peak = Math.max(peak, rss);
      }, SAMPLE_MS);
      const exportStart = performance.now();
      const res = await fetch(`${server.url}/v1/analytics/export`, { headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` } });
      if (res.status !== 200 || !res.body) throw new Error(`export: ${res.status}`);
      let lines = 0;
      let bytes = 0;
      let firstByteMs = NaN;
      // RSS at each tenth of the way: flat memory shows as a flat row, not just a low peak.
      const progress: string[] = [];
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - exportStart;
        bytes += chunk.byteLength;
        for (let i = 0; i < chunk.length; i++) {
          if (chunk[i] !== 10) continue;
          lines++;
          if (lines % Math.max(1, Math.floor(EVENTS / 10)) === 0) progress.push(server.rssMb().toFixed(0));
        }
      }
      const seconds = (performance.now() - exportStart) / 1000;
      clearInterval(sampler);
      const readTimes = await reads.stop();
      peak = Math.max(peak, server.rssMb());
      record({
        area,
        what: `${lines.toLocaleString('en')} events as NDJSON, ${(bytes / 1024 ** 2).toFixed(0)} MB`,
        value: `${seconds.toFixed(1)} s (${(lines / seconds).toFixed(0)} events/s, first byte after ${firstByteMs.toFixed(0)} ms)`,
        goal: `all ${EVENTS.toLocaleString('en')} lines`,
        met: lines === EVENTS,
      });
      record({
        area,
        what: 'server memory during the export',
        value: `idle ${idle.toFixed(0)} MB, start ${start.toFixed(0)} MB, peak ${peak.toFixed(0)} MB; at each tenth: ${progress.join(' ')}`,
        goal: 'flat',
        met: peak - start < 100,
      });
      record({ area, what: 'GET /v1/cards?userId during the export', ...stallFigure(readTimes), goal: 'no request waits > 100 ms' });
    } finally {
      await server.stop();
    }
  } finally {
    await store.drop();
  }
}

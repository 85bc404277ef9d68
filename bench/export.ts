// Export benchmark: BENCH_EVENTS analytics events (default 1,000,000) exported as NDJSON
// over HTTP, with the server's resident memory sampled and the API probed during the export.
// The store is filled in this process, then served by a platform process of its own, so the
// RSS figures are the server's alone; the client, which only counts lines as they stream by,
// is a process of its own too (export-reader.ts), so the probe here times the server alone.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { BOOTSTRAP_KEY, freshStore, publishedTemplate, send, startServer } from '../test/server/harness.js';
import { PLATFORM_MAIN, probeApi, spawnServer, stallFigure } from './support.js';
import { record } from './results.js';
import type { ExportReaderInput, ExportReaderMessage } from './export-reader.js';

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
      // The server's first second (its worker starting, code compiled) is not the export's:
      // a request then waited 139 ms, the server's event loop held up 133 ms before any export.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      reads.take();
      const idle = server.rssMb();
      let peak = idle;
      let start = NaN;
      const sampler = setInterval(() => {
        const rss = server.rssMb();
        if (Number.isNaN(start)) start = rss;
        peak = Math.max(peak, rss);
      }, SAMPLE_MS);
      // RSS at each tenth of the way: flat memory shows as a flat row, not just a low peak.
      const progress: string[] = [];
      const input: ExportReaderInput = { url: `${server.url}/v1/analytics/export`, key: BOOTSTRAP_KEY, tenth: Math.max(1, Math.floor(EVENTS / 10)) };
      const reader = fork(fileURLToPath(new URL('./export-reader.ts', import.meta.url)), [], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, EXPORT_READER_INPUT: JSON.stringify(input) },
      });
      const { lines, bytes, firstByteMs, seconds } = await new Promise<Extract<ExportReaderMessage, { type: 'done' }>>((resolve, reject) => {
        reader.on('error', reject);
        reader.on('exit', (code) => reject(new Error(`the export reader exited with ${code}`)));
        reader.on('message', (message: ExportReaderMessage) => {
          if (message.type === 'tenth') progress.push(server.rssMb().toFixed(0));
          else if (message.type === 'done') resolve(message);
          else reject(new Error(message.message));
        });
      }).finally(() => reader.kill());
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

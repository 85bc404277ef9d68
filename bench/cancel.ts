// A bulk cancel job over BENCH_CANCEL_CARDS (default 1,000,000) cards: how long it takes, and
// the API while it runs: reads (GET /v1/cards?userId=… every 20 ms) and sends (a card sent
// with another template every 100 ms), which wait for SQLite's single writer.
// Goals on this 2-core machine: within 60 s; no request waits more than 100 ms.
// The server runs in its own process; this process fills the store through its own connection.
import { performance } from 'node:perf_hooks';
import { openStore } from '../packages/card-stream-server/src/store/database.js';
import { freshStore, type StoreKind } from '../test/server/harness.js';
import { fillCards } from '../test/server/fill.js';
import { PLATFORM_MAIN, percentiles, probeApi, settle, spawnServer, stallFigure, BENCH_KEY as KEY } from './support.js';
import { record } from './results.js';
import pg from 'pg';

const CARDS = Number(process.env.BENCH_CANCEL_CARDS ?? 1_000_000);
const USERS = Math.max(1, Math.floor(CARDS / 10));
const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

export async function run(kind: StoreKind): Promise<void> {
  const area = `bulk cancel (${kind === 'postgres' ? 'PostgreSQL' : 'SQLite on disk'})`;
  const fresh = await freshStore(kind);
  const options = fresh.options;
  const storeArgs = options.kind === 'sqlite' ? ['--data-dir', options.dataDir] : [];
  const storeEnv: Record<string, string> = options.kind === 'postgres' ? { DATABASE_URL: options.url } : {};
  const server = await spawnServer(PLATFORM_MAIN, [...storeArgs, '--port', '0', '--bootstrap-key', KEY, '--no-demo'], storeEnv);
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };
  try {
    const template = (await api('POST', '/v1/card-templates', { name: 'To cancel', definition: { blocks: [{ type: 'headline', content: 'Hello {{name}}' }] } })).body.id;
    await api('POST', `/v1/card-templates/${template}/publish`);
    await api('POST', `/v1/action-flows/${template}/start`, { flows: [{ target: { type: 'user', targetUserIds: ['model'] }, payload: { variables: { name: 'Ada' } } }] });
    const probeTemplate = (await api('POST', '/v1/card-templates', { name: 'Probe', definition: { blocks: [{ type: 'headline', content: 'Probe' }] } })).body.id;
    await api('POST', `/v1/card-templates/${probeTemplate}/publish`);

    const store = await openStore(options);
    const model = await store.db.selectFrom('cards').selectAll().executeTakeFirstOrThrow();
    const fillStart = performance.now();
    await fillCards(store, model, CARDS - 1, USERS, 'bench-');
    await store.close();
    // The job starts on a settled store, like one whose cards came in over days: on
    // PostgreSQL a checkpoint once the fill is in (else the first checkpoint during the job
    // syncs the fill's million rows, a 0.7 s `sync` phase in PostgreSQL's log, and the sends
    // committing then wait for it: a stall the fill caused, not the job); then the disk's
    // writeback of everything before (the fill, and the last store's run: after the SQLite
    // run, the PostgreSQL job once took 63 s instead of 39) is waited for with `sync`.
    await settle(options.kind === 'postgres' ? options.url : undefined);
    console.log(`  filled ${CARDS} cards in ${((performance.now() - fillStart) / 1000).toFixed(1)} s`);

    const reads = probeApi(() => fetch(`${server.url}/v1/cards?userId=bench-${Math.floor(Math.random() * USERS)}&limit=10`, { headers }));
    const sends = probeApi(
      () =>
        fetch(`${server.url}/v1/action-flows/${probeTemplate}/start`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ flows: [{ target: { type: 'user', targetUserIds: ['probe-user'] } }] }),
        }),
      100,
    );
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const idle = percentiles(reads.take());
    const idleSends = percentiles(sends.take());
    const walBefore = await walPosition(options);
    const started = performance.now();
    const job = (await api('POST', '/v1/cancel-jobs', { criteria: { cardTemplateId: template } })).body;
    let status;
    do {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = (await api('GET', job.statusUrl)).body;
    } while (status.status === 'queued' || status.status === 'running');
    const seconds = (performance.now() - started) / 1000;
    const walAfter = await walPosition(options);
    const [readTimes, sendTimes] = await Promise.all([reads.stop(), sends.stop()]);
    record({
      area,
      what: `${status.cancelled.toLocaleString('en')} of ${status.matched.toLocaleString('en')} cards cancelled (${status.status})`,
      value: `${seconds.toFixed(1)} s (${(status.cancelled / seconds).toFixed(0)} cards/s)`,
      goal: '≤ 60 s',
      met: status.status === 'completed' && status.cancelled === CARDS && seconds <= 60,
    });
    record({ area, what: 'GET /v1/cards?userId before the job', value: `median ${idle(50)} ms, p99 ${idle(99)} ms`, goal: 'context' });
    record({ area, what: 'sends before the job', value: `median ${idleSends(50)} ms, p99 ${idleSends(99)} ms`, goal: 'context' });
    record({ area, what: 'GET /v1/cards?userId during the job', ...stallFigure(readTimes), goal: 'no request waits > 100 ms' });
    record({ area, what: 'sends during the job', ...stallFigure(sendTimes), goal: 'no request waits > 100 ms' });
    if (walBefore !== undefined && walAfter !== undefined) {
      // Context for the sends' waits: each commit flushes the WAL written before it, and
      // PostgreSQL checkpoints every max_wal_size of it (log_checkpoints shows when).
      const bytes = walAfter - walBefore;
      record({ area, what: 'WAL written during the job', value: `${(bytes / 1e6).toFixed(0)} MB (${(bytes / CARDS).toFixed(0)} B a card)`, goal: 'context' });
    }
  } finally {
    await server.stop();
    await fresh.drop();
  }
}

/** PostgreSQL's WAL insert position in bytes (undefined on SQLite). */
async function walPosition(options: { kind: string; url?: string }): Promise<number | undefined> {
  if (options.kind !== 'postgres') return undefined;
  const client = new pg.Client({ connectionString: options.url });
  await client.connect();
  try {
    const { rows } = await client.query(`select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint as at`);
    return Number(rows[0].at);
  } finally {
    await client.end();
  }
}


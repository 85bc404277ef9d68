// Audiences at scale (issue 15), on one store per run:
// 1. import BENCH_AUDIENCE_USERS (default 1,000,000) profiles through POST /v1/users/batch,
//    10,000 a request, two requests in flight (goal ≤ 20 s on SQLite, ≤ 60 s on PostgreSQL);
// 2. count and list segments over them (a tenth of them, and all of them);
// 3. one send to the segment of all of them: how long the job takes (same goals), the API's
//    p99 meanwhile (GET /v1/cards?userId and the SDK feed, goal < 100 ms), how many bytes
//    the store grew by per card (goal ≤ 600, its card-published event included), and for
//    BENCH_AUDIENCE_SOCKETS (2,000) connected members the time from the job's start to their
//    card arriving on their socket;
// 4. on SQLite, the floor: better-sqlite3 alone writing the same rows in the same layout
//    (layout-floor.ts).
// The server runs in its own process; every request body is built before the clock starts.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type WebSocket from 'ws';
import { STORE_FILE } from '../packages/card-stream-server/src/store/data-dir.js';
import { freshStore, type StoreKind, type TestStore } from '../test/server/harness.js';
import { BENCH_JWT_SECRET, BENCH_KEY, endUserJwt, inBatches, opened, percentiles, PLATFORM_MAIN, probeApi, sdkSocket, spawnServer, stallFigure } from './support.js';
import { record } from './results.js';
import { layoutFloor } from './layout-floor.js';

const USERS = Number(process.env.BENCH_AUDIENCE_USERS ?? 1_000_000);
const SOCKETS = Math.min(USERS, Number(process.env.BENCH_AUDIENCE_SOCKETS ?? 2000));
const BATCH = 10_000;
const headers = { authorization: `Bearer ${BENCH_KEY}`, 'content-type': 'application/json' };
const userId = (i: number) => `aud-${String(i).padStart(7, '0')}`;

/** The store's size in bytes as its own connection sees it (SQLite: pages, WAL included). */
async function storeBytes(store: TestStore): Promise<number> {
  if (store.options.kind === 'postgres') {
    const client = new pg.Client({ connectionString: store.options.url });
    await client.connect();
    try {
      return Number((await client.query('select pg_database_size(current_database()) as n')).rows[0].n);
    } finally {
      await client.end();
    }
  }
  const file = join((store.options as { dataDir: string }).dataDir, STORE_FILE);
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    // In WAL mode a reader's page count includes the committed frames not yet checkpointed.
    const pages = db.pragma('page_count', { simple: true }) as number;
    const free = db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * (db.pragma('page_size', { simple: true }) as number);
  } finally {
    db.close();
  }
}

/** Where the store's bytes are, per table and index, largest first (BENCH_AUDIENCE_BREAKDOWN=1). */
async function storeBreakdown(store: TestStore): Promise<[string, number][]> {
  if (store.options.kind === 'postgres') {
    const client = new pg.Client({ connectionString: store.options.url });
    await client.connect();
    try {
      const rows = await client.query(`select c.relname as name, pg_relation_size(c.oid) + coalesce(pg_relation_size(c.reltoastrelid), 0) as n from pg_class c
        join pg_namespace ns on ns.oid = c.relnamespace where ns.nspname = 'public' and c.relkind in ('r', 'i') order by n desc limit 30`);
      return rows.rows.map((r) => [r.name as string, Number(r.n)]);
    } finally {
      await client.end();
    }
  }
  const file = join((store.options as { dataDir: string }).dataDir, STORE_FILE);
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('select name, sum(pgsize) as n from dbstat group by name order by n desc limit 30').all() as { name: string; n: number }[];
    return rows.map((r) => [r.name, r.n]);
  } finally {
    db.close();
  }
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

export async function run(kind: StoreKind): Promise<void> {
  const area = `audiences (${kind === 'postgres' ? 'PostgreSQL' : 'SQLite on disk'}, ${USERS.toLocaleString('en')} profiles)`;
  const goalSeconds = kind === 'postgres' ? 60 : 20;
  const store = await freshStore(kind);
  const storeArgs = store.options.kind === 'sqlite' ? ['--data-dir', store.options.dataDir] : [];
  const storeEnv: Record<string, string> = store.options.kind === 'postgres' ? { DATABASE_URL: store.options.url } : {};
  const server = await spawnServer(PLATFORM_MAIN, [...storeArgs, '--port', '0', '--bootstrap-key', BENCH_KEY, '--no-demo'], {
    ...storeEnv,
    JWT_SECRET: BENCH_JWT_SECRET,
    SOCKETS_PER_ADDRESS: String(SOCKETS + 100),
  });
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const sockets: WebSocket[] = [];
  try {
    // 1. The import. Every tenth user is on the "pro" plan; every fourth has the tag "early".
    const bodies: string[] = [];
    for (let from = 0; from < USERS; from += BATCH) {
      const users = [];
      for (let i = from; i < Math.min(USERS, from + BATCH); i++) {
        users.push({ userId: userId(i), attributes: { plan: i % 10 === 0 ? 'pro' : 'free', seats: i % 50, beta: i % 2 === 0 }, tags: i % 4 === 0 ? ['early'] : [] });
      }
      bodies.push(JSON.stringify({ users }));
    }
    const [, importMs] = await timed(async () => {
      let next = 0;
      const worker = async () => {
        while (next < bodies.length) {
          const body = bodies[next++] as string;
          const res = await fetch(`${server.url}/v1/users/batch`, { method: 'POST', headers, body });
          if (res.status !== 200) throw new Error(`batch import: HTTP ${res.status} ${await res.text()}`);
          await res.arrayBuffer();
        }
      };
      await Promise.all([worker(), worker()]);
    });
    bodies.length = 0;
    record({
      area,
      what: `import ${USERS.toLocaleString('en')} profiles (POST /v1/users/batch, 10,000 each)`,
      value: `${(importMs / 1000).toFixed(1)} s (${Math.round(USERS / (importMs / 1000)).toLocaleString('en')}/s)`,
      goal: `≤ ${goalSeconds} s`,
      met: importMs <= goalSeconds * 1000,
    });

    // 2. Segments: counted and listed from the indexes.
    const pro = (await api('POST', '/v1/segments', { name: 'Pro', filter: { all: [{ attribute: 'plan', op: 'eq', value: 'pro' }] } })).body;
    const everyone = (await api('POST', '/v1/segments', { name: 'Everyone with seats', filter: { all: [{ attribute: 'seats', op: 'gte', value: 0 }] } })).body;
    for (const [segment, expected] of [
      [pro, Math.ceil(USERS / 10)],
      [everyone, USERS],
    ] as const) {
      const [count, countMs] = await timed(() => api('GET', `/v1/segments/${segment.id}/count`));
      const [list, listMs] = await timed(() => api('GET', `/v1/users?segmentId=${segment.id}&limit=100`));
      const [, nextMs] = await timed(() => api('GET', `/v1/users?segmentId=${segment.id}&limit=100&cursor=${encodeURIComponent(list.body.nextCursor)}`));
      record({
        area,
        what: `segment "${segment.name}": count (${Number(count.body.total).toLocaleString('en')}), first and second page of 100`,
        value: `${countMs.toFixed(0)} ms, ${listMs.toFixed(0)} ms, ${nextMs.toFixed(0)} ms`,
        goal: 'fast (context)',
        met: count.body.total === expected && list.body.data.length === 100 ? undefined : false,
      });
    }

    // 3. The send, with SOCKETS members connected.
    const template = (await api('POST', '/v1/card-templates', { name: 'Feature', definition: { blocks: [{ type: 'headline', content: 'New for {{plan}} users' }] } })).body.id;
    await api('POST', `/v1/card-templates/${template}/publish`);
    const arrivals: number[] = [];
    const step = Math.max(1, Math.floor(USERS / SOCKETS));
    let jobStart = 0;
    sockets.push(
      ...opened(
        await inBatches(SOCKETS, 200, (i) =>
          sdkSocket(server.url, userId(i * step), (text) => {
            if (text.includes('"type":"change"') && jobStart > 0) arrivals.push(performance.now() - jobStart);
          }),
        ),
      ),
    );
    // One send, card list and feed before measuring, so what a server does once (its first
    // answers of each kind) is not counted as the send's. (The warm-up user is no member.)
    const warmUp = await api('POST', `/v1/action-flows/${template}/start`, { flows: [{ target: { type: 'user', targetUserIds: ['warm-up'] }, payload: { variables: { plan: 'warm' } } }] });
    if (warmUp.status !== 201) throw new Error(`warm-up send: HTTP ${warmUp.status} ${JSON.stringify(warmUp.body)}`);
    await api('GET', '/v1/cards?userId=warm-up');
    await fetch(`${server.url}/v1/sdk/streams/default/cards`, { headers: { authorization: `Bearer ${await endUserJwt('warm-up')}` } }).then((res) => res.arrayBuffer());
    const feedToken = await endUserJwt(userId(1));
    const reads = probeApi(() => fetch(`${server.url}/v1/cards?userId=${userId(Math.floor(Math.random() * USERS))}&limit=10`, { headers }));
    const feed = probeApi(() => fetch(`${server.url}/v1/sdk/streams/default/cards`, { headers: { authorization: `Bearer ${feedToken}` } }));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idleReads = percentiles(reads.take());
    feed.take();
    const before = await storeBytes(store);
    jobStart = performance.now();
    const accepted = await api('POST', `/v1/action-flows/${template}/start`, {
      flows: [{ target: { type: 'segment', segmentId: everyone.id }, payload: { variables: { plan: 'every' } } }],
    });
    if (accepted.status !== 202) throw new Error(`send: HTTP ${accepted.status} ${JSON.stringify(accepted.body)}`);
    let job;
    do {
      await new Promise((resolve) => setTimeout(resolve, 250));
      job = (await api('GET', accepted.body.statusUrl)).body;
    } while (job.status === 'queued' || job.status === 'running');
    const sendMs = performance.now() - jobStart;
    const [readTimes, feedTimes] = await Promise.all([reads.stop(), feed.stop()]);
    for (let i = 0; i < 40 && arrivals.length < sockets.length; i++) await new Promise((resolve) => setTimeout(resolve, 250));
    const grown = (await storeBytes(store)) - before;
    record({
      area,
      what: `send to a segment of ${Number(job.matched).toLocaleString('en')}: ${Number(job.sent).toLocaleString('en')} cards (${job.status})`,
      value: `${(sendMs / 1000).toFixed(1)} s (${Math.round(job.sent / (sendMs / 1000)).toLocaleString('en')} cards/s)`,
      goal: `≤ ${goalSeconds} s`,
      met: job.status === 'completed' && job.sent === USERS && sendMs <= goalSeconds * 1000,
    });
    const p99 = (times: number[]) => Number(percentiles(times)(99));
    record({ area, what: 'GET /v1/cards?userId before the send', value: `p99 ${idleReads(99)} ms`, goal: 'context' });
    record({ area, what: 'GET /v1/cards?userId during the send', value: `p99 ${p99(readTimes).toFixed(1)} ms, max ${percentiles(readTimes)(100)} ms (${readTimes.length})`, goal: 'p99 < 100 ms', met: p99(readTimes) < 100 });
    record({ area, what: 'SDK feed during the send', value: `p99 ${p99(feedTimes).toFixed(1)} ms, max ${percentiles(feedTimes)(100)} ms (${feedTimes.length})`, goal: 'p99 < 100 ms', met: p99(feedTimes) < 100 });
    // Issue 16 asks the same of every background job as of a bulk cancel: no request waits more than 100 ms.
    record({ area, what: 'both during the send, slowest', ...stallFigure([...readTimes, ...feedTimes]), goal: 'no request waits > 100 ms' });
    record({ area, what: 'store growth per card (card, change and card-published event)', value: `${Math.round(grown / Math.max(1, job.sent))} bytes`, goal: '≤ 600 bytes', met: grown / Math.max(1, job.sent) <= 600 });
    if (process.env.BENCH_AUDIENCE_BREAKDOWN) {
      // Profiles and segments were there before the send; the rest is (nearly all) the send's.
      for (const [name, bytes] of await storeBreakdown(store)) console.log(`  ${name.padEnd(36)} ${(bytes / Math.max(1, job.sent)).toFixed(1).padStart(8)} bytes a card`);
    }
    const shown = percentiles(arrivals);
    record({
      area,
      what: `${sockets.length.toLocaleString('en')} connected members: their card on the socket, from the job's start`,
      value: `${arrivals.length} arrived; median ${(Number(shown(50)) / 1000).toFixed(2)} s, last ${(Number(shown(100)) / 1000).toFixed(2)} s`,
      goal: 'every one arrives',
      met: arrivals.length === sockets.length,
    });
    if (store.options.kind === 'sqlite') {
      // The floor: SQLite alone writing what the send wrote, in the same layout, in this run.
      const floor = await layoutFloor(join(store.options.dataDir, STORE_FILE), USERS, userId);
      record({
        area,
        what: `floor: better-sqlite3 alone writes the send's ${USERS.toLocaleString('en')} cards, events and changes in this layout`,
        value: `${floor.seconds.toFixed(1)} s (${((floor.seconds * 1e6) / USERS).toFixed(1)} µs a card), ${Math.round(floor.bytesPerCard)} bytes a card`,
        goal: 'context (send ≤ 20 s, ≤ 600 bytes)',
      });
    }
  } finally {
    for (const ws of sockets) ws.terminate();
    await server.stop();
    await store.drop();
  }
}

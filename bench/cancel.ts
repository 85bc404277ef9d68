// A bulk cancel job over BENCH_CANCEL_CARDS (default 1,000,000) cards: how long it takes,
// and the API's latency while it runs: reads (GET /v1/cards?userId=… every 20 ms from here)
// and writes (a card sent with another template every 100 ms), which wait for SQLite's
// single writer.
// Target on this 2-core machine: within 60 s, p99 under 100 ms.
// The server runs in its own process on an on-disk SQLite store (PostgreSQL when
// DATABASE_URL is set); this process fills the store through its own connection.
import { performance } from 'node:perf_hooks';
import { openStore } from '../packages/card-stream-server/src/store/database.js';
import { freshStore } from '../test/server/harness.js';
import { fillCards } from '../test/server/fill.js';
import { PLATFORM_MAIN, percentiles, spawnServer } from './support.js';

const CARDS = Number(process.env.BENCH_CANCEL_CARDS ?? 1_000_000);
const USERS = Math.max(1, Math.floor(CARDS / 10));
const KEY = 'bench-bootstrap-key-at-least-32-characters';
const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

const fresh = await freshStore(process.env.DATABASE_URL ? 'postgres' : 'sqlite');
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
  let t = performance.now();
  await fillCards(store, model, CARDS - 1, USERS, 'bench-');
  await store.close();
  console.log(`filled ${CARDS} cards (${options.kind}) in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  let latencies: number[] = [];
  let writeLatencies: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const start = performance.now();
      const res = await fetch(`${server.url}/v1/cards?userId=bench-${Math.floor(Math.random() * USERS)}&limit=10`, { headers });
      await res.arrayBuffer();
      latencies.push(performance.now() - start);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const writeProbe = (async () => {
    while (probing) {
      const start = performance.now();
      const sent = await api('POST', `/v1/action-flows/${probeTemplate}/start`, { flows: [{ target: { type: 'user', targetUserIds: ['probe-user'] } }] });
      if (sent.status >= 300) throw new Error(`probe send: ${sent.status} ${JSON.stringify(sent.body)}`);
      writeLatencies.push(performance.now() - start);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const idle = percentiles(latencies);
  const idleWrites = percentiles(writeLatencies);
  console.log(`API before the job: reads median ${idle(50)} ms, p99 ${idle(99)} ms (${latencies.length}); sends median ${idleWrites(50)} ms, p99 ${idleWrites(99)} ms (${writeLatencies.length})`);
  latencies = [];
  writeLatencies = [];

  t = performance.now();
  const job = (await api('POST', '/v1/cancel-jobs', { criteria: { cardTemplateId: template } })).body;
  let status;
  do {
    await new Promise((resolve) => setTimeout(resolve, 500));
    status = (await api('GET', job.statusUrl)).body;
  } while (status.status === 'queued' || status.status === 'running');
  const seconds = (performance.now() - t) / 1000;
  probing = false;
  await Promise.all([probe, writeProbe]);
  const p = percentiles(latencies);
  const w = percentiles(writeLatencies);
  console.log(`cancel job: ${status.status}, ${status.cancelled} of ${status.matched} cards in ${seconds.toFixed(1)} s (${(status.cancelled / seconds).toFixed(0)} cards/s)`);
  console.log(`API while it ran: reads median ${p(50)} ms, p99 ${p(99)} ms, max ${p(100)} ms (${latencies.length}); sends median ${w(50)} ms, p99 ${w(99)} ms, max ${w(100)} ms (${writeLatencies.length})`);
} finally {
  await server.stop();
  await fresh.drop();
}

// GET /v1/cards?userId latency with BENCH_CARDS cards (default 1,000,000) in SQLite. (Sends
// per second are bench/sends.ts, against the floor.)
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { BOOTSTRAP_KEY, freshStore, publishedTemplate, startServer } from '../test/server/harness.js';
import { record } from './results.js';

const CARDS = Number(process.env.BENCH_CARDS ?? 1_000_000);
const USERS = Math.min(100_000, Math.max(1, Math.floor(CARDS / 10)));
const QUERIES = 500;
const CHUNK = 500;

export async function run(): Promise<void> {
  const store = await freshStore('sqlite');
  const server = await startServer(store.options);
  const auth = { authorization: `Bearer ${BOOTSTRAP_KEY}`, 'content-type': 'application/json' };

  try {
    const templateId = await publishedTemplate(server);
    let sendCounter = 0;
    const sendOne = async () => {
      const res = await fetch(`${server.url}/v1/action-flows/${templateId}/start`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          flows: [{ target: { type: 'user', targetUserIds: [`send-user-${sendCounter++}`] }, payload: { variables: { name: 'Ada' } } }],
        }),
      });
      await res.arrayBuffer();
      if (res.status !== 200 && res.status !== 201) throw new Error(`send failed: ${res.status}`);
    };
    // A few real sends, so the copies below start from a real row.
    for (let i = 0; i < 20; i++) await sendOne();

    // Fill: copy one real card row and vary its ids and user.
    const db = server.platform.services.store.db;
    const model = await db.selectFrom('cards').selectAll().limit(1).executeTakeFirstOrThrow();
    const existing = Number((await db.selectFrom('cards').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const toInsert = Math.max(0, CARDS - existing);
    const fillStart = performance.now();
    const base = Date.now();
    for (let done = 0; done < toInsert; ) {
      const n = Math.min(CHUNK * 20, toInsert - done);
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < n; i += CHUNK) {
          const rows = [];
          for (let j = 0; j < Math.min(CHUNK, n - i); j++) {
            const k = done + i + j;
            rows.push({
              ...model,
              card_instance_id: randomUUID(),
              lifecycle_id: randomUUID(),
              flow_instance_id: randomUUID(),
              user_id: `user-${k % USERS}`,
              created: base + k,
              updated: base + k,
              active_since: model.active_since === null ? null : base + k,
            });
          }
          await trx.insertInto('cards').values(rows).execute();
        }
      });
      done += n;
    }
    const fillSeconds = (performance.now() - fillStart) / 1000;
    console.log(`fill: ${toInsert} cards (${existing} from sends), ${USERS} users, ${fillSeconds.toFixed(1)} s (${(toInsert / fillSeconds).toFixed(0)} rows/s)`);

    // Latency of GET /v1/cards?userId=…  One untimed request first: a keep-alive socket left idle
    // during the fill may have been closed by the server, so retry it once.
    const warm = () => fetch(`${server.url}/v1/cards?userId=user-0`, { headers: auth }).then((r) => r.arrayBuffer());
    await warm().catch(warm);
    const times: number[] = [];
    let returned = 0;
    for (let i = 0; i < QUERIES; i++) {
      const user = `user-${Math.floor(Math.random() * USERS)}`;
      const start = performance.now();
      const res = await fetch(`${server.url}/v1/cards?userId=${encodeURIComponent(user)}`, { headers: auth });
      const body = (await res.json()) as { data: unknown[] };
      times.push(performance.now() - start);
      if (res.status !== 200) throw new Error(`GET /v1/cards: ${res.status}`);
      returned += body.data.length;
    }
    times.sort((a, b) => a - b);
    const pct = (p: number) => (times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] ?? NaN).toFixed(2);
    record({
      area: 'card queries (SQLite on disk)',
      what: `GET /v1/cards?userId with ${CARDS.toLocaleString('en')} cards, ${(returned / QUERIES).toFixed(1)} cards an answer`,
      value: `median ${pct(50)} ms, p99 ${pct(99)} ms`,
      goal: 'p99 < 100 ms',
      met: Number(pct(99)) < 100,
    });
  } finally {
    await server.close();
    await store.drop();
  }
}

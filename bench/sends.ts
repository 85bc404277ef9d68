// Sends per second: POST /v1/action-flows/{id}/start with one target each, 16 in flight,
// against a server in its own process on an on-disk store (PostgreSQL when DATABASE_URL is
// set), and the floor: a bare fastify POST route, measured by the same client in the same run.
// Goal: at least 0.6× the floor on SQLite; on PostgreSQL no worse than before group commit.
import { performance } from 'node:perf_hooks';
import { freshStore, type StoreKind } from '../test/server/harness.js';
import { PLATFORM_MAIN, spawnServer, BENCH_KEY as KEY } from './support.js';
import { record, recordFailure } from './results.js';

const IN_FLIGHT = Number(process.env.BENCH_SENDS_IN_FLIGHT ?? 16);
const SECONDS = Number(process.env.BENCH_SENDS_SECONDS ?? 4);
const ROUNDS = 3;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** One POST with fetch, as an integrator's Node client would send it; resolves with the status. */
async function post(url: URL, body: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  await res.arrayBuffer();
  return res.status;
}

/** Requests a second with IN_FLIGHT loops for `seconds`; `body(i)` makes each request's body. */
async function rate(url: URL, body: (i: number) => string, headers: Record<string, string>, seconds: number): Promise<number> {
  let count = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        const status = await post(url, body(count++), headers);
        if (status !== 201) throw new Error(`POST ${url.pathname}: HTTP ${status}`);
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

export async function run(kind: StoreKind): Promise<void> {
  const fresh = await freshStore(kind);
  const area = `sends (${fresh.options.kind === 'postgres' ? 'PostgreSQL' : 'SQLite on disk'})`;
  const storeArgs = fresh.options.kind === 'sqlite' ? ['--data-dir', fresh.options.dataDir] : [];
  const storeEnv: Record<string, string> = fresh.options.kind === 'postgres' ? { DATABASE_URL: fresh.options.url } : {};
  try {
    const bare = await spawnServer('bench/bare-fastify-server.ts', []);
    const server = await spawnServer(PLATFORM_MAIN, [...storeArgs, '--port', '0', '--bootstrap-key', KEY, '--no-demo'], storeEnv);
    try {
      const auth = { authorization: `Bearer ${KEY}` };
      const api = async (path: string, body?: unknown) =>
        (await fetch(server.url + path, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) })).json() as Promise<{ id: string }>;
      const template = await api('/v1/card-templates', { name: 'Bench', definition: { blocks: [{ type: 'headline', content: 'Hello {{name}}' }] } });
      await api(`/v1/card-templates/${template.id}/publish`);
      const sendBody = (i: number) => JSON.stringify({ flows: [{ target: { type: 'user', targetUserIds: [`send-${i % 10_000}`] }, payload: { variables: { name: 'Ada' } } }] });
      const sendUrl = new URL(`${server.url}/v1/action-flows/${template.id}/start`);
      const bareUrl = new URL(`${bare.url}/send`);
      await rate(bareUrl, sendBody, {}, 1); // warm-ups, not reported
      await rate(sendUrl, sendBody, auth, 1);
      // Rounds alternate between the two, so a passing load on this 2-core machine hits both;
      // each figure is the median of its rounds.
      const floors: number[] = [];
      const rates: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        floors.push(await rate(bareUrl, sendBody, {}, SECONDS));
        rates.push(await rate(sendUrl, sendBody, auth, SECONDS));
      }
      const floor = median(floors);
      const sends = median(rates);
      record({ area, what: `bare fastify POST route, ${IN_FLIGHT} in flight (median of ${ROUNDS} rounds)`, value: `${floor.toFixed(0)}/s`, goal: 'floor' });
      // SQLite: at least 0.6× the floor. PostgreSQL: no worse than before group commit, when
      // each send was its own transaction (339/s against a 3,400/s floor here: 0.10×).
      const goal = kind === 'sqlite' ? 0.6 : 0.1;
      record({ area, what: `sends, one target each, ${IN_FLIGHT} in flight`, value: `${sends.toFixed(0)}/s (${(sends / floor).toFixed(2)}× floor)`, goal: `≥ ${goal.toFixed(2)}× floor (${(goal * floor).toFixed(0)}/s)`, met: sends >= goal * floor });
    } finally {
      await server.stop();
      await bare.stop();
    }
  } catch (err) {
    recordFailure(area, err);
  } finally {
    await fresh.drop();
  }
}

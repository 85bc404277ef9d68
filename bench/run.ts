// Benchmarks: `npm run bench` runs them all and prints one table, each figure beside its
// goal; BENCH_ONLY=sends,cancel picks some. The store benches run on SQLite, and on
// PostgreSQL as well when DATABASE_URL is set. Build first (`npm run build`): the servers run
// the built code. Each bench lives in its own module; a bench that fails is a row, not a crash.
// BENCH_STORES=postgres (or sqlite) runs the store benches on one store only.
import { printTable, recordFailure } from './results.js';
import type { StoreKind } from '../test/server/harness.js';

const STORES = (process.env.DATABASE_URL ? (['sqlite', 'postgres'] as StoreKind[]) : (['sqlite'] as StoreKind[])).filter(
  (kind) => !process.env.BENCH_STORES || process.env.BENCH_STORES.split(',').includes(kind),
);
const BENCHES: Record<string, (kind: StoreKind) => Promise<void>> = {
  sends: async (kind) => (await import('./sends.js')).run(kind),
  store: async () => (await import('./store.js')).run(),
  realtime: async () => (await import('./realtime.js')).run(),
  cancel: async (kind) => (await import('./cancel.js')).run(kind),
  export: async () => (await import('./export.js')).run(),
  webhooks: async () => (await import('./webhooks.js')).run(),
  audiences: async (kind) => (await import('./audiences.js')).run(kind),
};
/** The benches that take a store; the others run once. */
const PER_STORE = new Set(['sends', 'cancel', 'audiences']);

const only = process.env.BENCH_ONLY?.split(',');
for (const [name, bench] of Object.entries(BENCHES)) {
  if (only && !only.includes(name)) continue;
  for (const kind of PER_STORE.has(name) ? STORES : (['sqlite'] as StoreKind[])) {
    console.log(`\n## ${name}${PER_STORE.has(name) ? ` (${kind})` : ''}`);
    try {
      await bench(kind);
    } catch (err) {
      recordFailure(name, err);
    }
  }
}
printTable();

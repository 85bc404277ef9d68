// Benchmarks: `npm run bench` runs them all and prints one table, each figure beside its
// goal; BENCH_ONLY=sends,cancel picks some. The store benches run on SQLite, and on
// PostgreSQL as well when DATABASE_URL is set. Build first (`npm run build`): the servers run
// the built code. Each bench lives in its own module and runs in a process of its own
// (bench/one.ts), so none measures with what an earlier one left behind in this process (the
// store bench's in-process server and its million cards); a bench that fails is a row, not
// a crash. BENCH_STORES=postgres (or sqlite) runs the store benches on one store only.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addFigures, printTable, recordFailure, type Figure } from './results.js';
import type { StoreKind } from '../test/server/harness.js';
import { BENCHES, PER_STORE } from './benches.js';
import { settle } from './support.js';

const STORES = (process.env.DATABASE_URL ? (['sqlite', 'postgres'] as StoreKind[]) : (['sqlite'] as StoreKind[])).filter(
  (kind) => !process.env.BENCH_STORES || process.env.BENCH_STORES.split(',').includes(kind),
);

/** Runs bench `name` on `kind` in a process of its own (its output goes by); its figures. */
async function runAlone(name: string, kind: StoreKind, figuresFile: string): Promise<Figure[]> {
  await rm(figuresFile, { force: true });
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(new URL('one.ts', import.meta.url)), name, kind], {
    env: { ...process.env, BENCH_FIGURES_FILE: figuresFile },
    stdio: 'inherit',
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    return JSON.parse(await readFile(figuresFile, 'utf8')) as Figure[];
  } catch {
    throw new Error(`its process exited with ${code} before it recorded its figures`);
  }
}

const only = process.env.BENCH_ONLY?.split(',');
const scratch = await mkdtemp(join(tmpdir(), 'cs-bench-'));
try {
  for (const name of Object.keys(BENCHES)) {
    if (only && !only.includes(name)) continue;
    for (const kind of PER_STORE.has(name) ? STORES : (['sqlite'] as StoreKind[])) {
      console.log(`\n## ${name}${PER_STORE.has(name) ? ` (${kind})` : ''}`);
      try {
        // What the bench before left to write (the store bench: a million cards' worth) is written first.
        await settle(process.env.DATABASE_URL);
        addFigures(await runAlone(name, kind, join(scratch, 'figures.json')));
      } catch (err) {
        recordFailure(name, err);
      }
    }
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}
printTable();

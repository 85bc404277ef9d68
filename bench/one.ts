// One bench in a process of its own, started by bench/run.ts: `one.ts <bench> <store>`. Its
// figures go to the file named by BENCH_FIGURES_FILE for run.ts to print in one table.
import { writeFileSync } from 'node:fs';
import type { StoreKind } from '../test/server/harness.js';
import { BENCHES } from './benches.js';
import { figures, recordFailure } from './results.js';

const [name = '', kind = 'sqlite'] = process.argv.slice(2);
const bench = BENCHES[name];
try {
  if (!bench) throw new Error(`no bench named "${name}"`);
  await bench(kind as StoreKind);
} catch (err) {
  recordFailure(name, err);
}
writeFileSync(process.env.BENCH_FIGURES_FILE as string, JSON.stringify(figures()));
// A client or pool a bench left open must not keep its process, and the run, waiting.
process.exit(0);

// Benchmarks: print numbers, assert nothing. `npm run bench` runs them all;
// BENCH_ONLY=realtime (or store) picks some. Each lives in its own module.
const BENCHES = ['store', 'realtime', 'cancel', 'export'] as const;
const only = process.env.BENCH_ONLY?.split(',');

for (const name of BENCHES) {
  if (only && !only.includes(name)) continue;
  console.log(`\n## ${name}`);
  await import(`./${name}.ts`);
}

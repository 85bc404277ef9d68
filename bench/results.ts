// The figures the benchmarks measure, each beside its goal, printed as one table at the end
// of `npm run bench`. A bench that fails records the failure as its figure; it never crashes the run.

export interface Figure {
  /** Which bench and store, e.g. "sends (SQLite on disk)". */
  area: string;
  what: string;
  value: string;
  goal: string;
  /** Whether the figure meets its goal; undefined when it has none (a floor, a context figure). */
  met?: boolean;
}

const figuresRecorded: Figure[] = [];

export function record(figure: Figure): void {
  figuresRecorded.push(figure);
  const verdict = figure.met === undefined ? '' : figure.met ? '  ✓' : '  ✗ MISSED';
  console.log(`  ${figure.what}: ${figure.value} (goal ${figure.goal})${verdict}`);
}

/** The figures recorded so far in this process. */
export function figures(): readonly Figure[] {
  return figuresRecorded;
}

/** Figures another process recorded (and printed as it did): rows of this process's table. */
export function addFigures(more: readonly Figure[]): void {
  figuresRecorded.push(...more);
}

/** A bench that threw: its failure is a row of the table. */
export function recordFailure(area: string, err: unknown): void {
  record({ area, what: 'run', value: `failed: ${err instanceof Error ? err.message : String(err)}`, goal: 'completes', met: false });
}

export function printTable(): void {
  const rows = figuresRecorded.map((f) => [f.area, f.what, f.value, f.goal, f.met === undefined ? '' : f.met ? 'met' : 'MISSED']);
  const header = ['bench', 'figure', 'measured', 'goal', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(`\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  const missed = figuresRecorded.filter((f) => f.met === false).length;
  console.log(`\n${figuresRecorded.filter((f) => f.met).length} goals met, ${missed} missed.`);
}

// axe-core inside the test's Chromium page: the file axe-core ships (axe.min.js) is run
// as a classic script, which sets window.axe; axe walks open shadow roots by itself.
interface AxeNode {
  target: unknown[];
  failureSummary?: string;
}
interface AxeResult {
  id: string;
  impact: string | null;
  nodes: AxeNode[];
}
interface Axe {
  run(context: Element | Document, options: { resultTypes: string[] }): Promise<{ violations: AxeResult[] }>;
}

let loaded: Promise<void> | undefined;

function loadAxe(): Promise<void> {
  loaded ??= fetch('/node_modules/axe-core/axe.min.js')
    .then((res) => {
      if (!res.ok) throw new Error(`axe-core: ${res.status}`);
      return res.text();
    })
    .then((source) => {
      const script = document.createElement('script');
      script.textContent = source;
      document.head.append(script);
    });
  return loaded;
}

/**
 * Every violation axe finds in `context`, all rules (every tag, best-practice included;
 * axe leaves only its experimental rules out), one line each: `rule (impact) ×nodes: target`.
 */
export async function axeViolations(context: Element | Document = document): Promise<string[]> {
  await loadAxe();
  const axe = (window as unknown as { axe: Axe }).axe;
  const { violations } = await axe.run(context, { resultTypes: ['violations'] });
  return violations.map(
    (v) => `${v.id} (${v.impact}) ×${v.nodes.length}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`,
  );
}

/** Number of failing nodes over all violations (for reports). */
export function violationCount(lines: string[]): number {
  return lines.reduce((sum, line) => sum + Number(/×(\d+)/.exec(line)?.[1] ?? 0), 0);
}

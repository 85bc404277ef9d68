// What each entry of the SDK package costs an app: the entry bundled as an app's bundler
// would (esbuild, minified, its dependencies included, React left out as the app's own),
// gzipped. `npm run build` prints these and fails when an entry passes its budget.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

/**
 * Entry → gzip budget in bytes (undefined: printed only). The script-tag file has its own
 * budget (24 KB, scripts/build.mjs); the headless client must stay small and free of Lit.
 */
export const ENTRY_BUDGETS = {
  'card-stream': undefined,
  'card-stream/elements': undefined,
  'card-stream/client': 10 * 1024,
  'card-stream/react': undefined,
};

/** Bundles `import * as x from '<entry>'` from `cwd` (which resolves the package) and measures it. */
export async function entrySizes(cwd) {
  const sizes = [];
  for (const [entry, budget] of Object.entries(ENTRY_BUDGETS)) {
    const result = await build({
      stdin: { contents: `export * from '${entry}';`, resolveDir: cwd, loader: 'js' },
      bundle: true,
      minify: true,
      format: 'esm',
      write: false,
      external: ['react', 'react-dom'],
      conditions: ['production'],
      logLevel: 'silent',
      metafile: true,
      // As an app resolves the package (its exports, dist/), not through this repository's tsconfig paths.
      tsconfigRaw: {},
    });
    const code = result.outputFiles[0].contents;
    const inputs = Object.keys(result.metafile.inputs);
    sizes.push({ entry, raw: code.length, gzip: gzipSync(code, { level: 9 }).length, budget, lit: inputs.some((i) => /node_modules\/(lit|lit-html|lit-element|@lit\/reactive-element)\//.test(i)) });
  }
  return sizes;
}

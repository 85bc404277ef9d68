// SDK library build. One output per mode (Vite builds one format per lib run):
//   vite build                → dist/card-stream.js        ES module, lit & co. external
//   vite build --mode iife    → dist/card-stream.iife.js   classic script, window.CardStream
//   vite build --mode bundle  → dist/card-stream.bundle.js ES module, everything bundled
// scripts/build.mjs runs all three through Vite's JS API.
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const packageDir = fileURLToPath(new URL('.', import.meta.url));
export const SDK_ENTRY = `${packageDir}src/register.ts`;
/** The package's ES entries (CONTRACT §0), built together so they share chunks. */
export const ES_ENTRIES = {
  'card-stream': SDK_ENTRY,
  elements: `${packageDir}src/index.ts`,
  client: `${packageDir}src/client/headless.ts`,
  react: `${packageDir}src/react.ts`,
};

export const VARIANTS = {
  es: { format: 'es', fileName: 'card-stream.js', external: true },
  iife: { format: 'iife', fileName: 'card-stream.iife.js', external: false },
  bundle: { format: 'es', fileName: 'card-stream.bundle.js', external: false },
} as const;

export type Variant = keyof typeof VARIANTS;

// Left to the host's bundler in the ES entries: the package's dependencies, and React (an
// optional peer of card-stream/react). Bundled in: @lit/react (not a dependency; only
// dist/react.js uses it) and reconnecting-websocket, whose debug logging the SDK never turns
// on and drops (dropSocketDebugLogging), a kilobyte an app's bundler would keep.
const EXTERNAL = /^(?:lit|lit-html|lit-element|@lit\/(?!react)[^/]+|@lit-labs\/[^/]+|idb-keyval|react|react-dom)(?:\/|$)/;

// The SDK may import only types from packages/protocol; a runtime import there would pull
// the server's schema library into the browser bundle.
function noServerModules(): Plugin {
  return {
    name: 'card-stream:no-server-modules',
    enforce: 'pre',
    resolveId(source, importer) {
      if (/^@sinclair\/typebox(?:\/|$)/.test(source) || /\/card-stream-server\//.test(source)) {
        throw new Error(
          `${importer ?? 'the SDK'} imports ${source} at run time; the SDK may import only types ` +
            `from packages/protocol (use "import type").`,
        );
      }
      return null;
    },
  };
}

// lit's css`` literals reach the bundle verbatim; the SDK's stylesheets hold no `${}`, so
// their comments and whitespace can go safely (the descendant-combinator space stays).
export function minifyCss(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([{};,>])\s*/g, '$1')
    .replace(/;}/g, '}')
    .replace(/:\s+/g, ':')
    // [mode='horizontal'] → [mode=horizontal] (an identifier needs no quotes); 0.9em → .9em
    .replace(/(\[[\w-]+[~|^$*]?=)'(-?[A-Za-z_][\w-]*)'\]/g, '$1$2]')
    .replace(/([:\s,(])0\.(\d)/g, '$1.$2')
    .trim();
}

function minifyStyles(): Plugin {
  return {
    name: 'card-stream:minify-styles',
    transform(code, id) {
      if (!/\/packages\/card-stream\/src\/.*\.styles\.ts$/.test(id)) return null;
      return { code: code.replace(/css`([^`$]*)`/g, (_, body: string) => `css\`${minifyCss(body)}\``), map: null };
    },
  };
}

// lit's html`` literals keep the source's indentation. Between tags and attributes any run
// of whitespace means one space, so the indentation around each line break can go; the
// line breaks stay, so every line keeps its number (the source maps stay right). The
// parser finds the literals, so code and other strings are never touched.
interface Node {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

function htmlQuasis(node: unknown, found: Node[]): Node[] {
  if (!node || typeof node !== 'object') return found;
  if (Array.isArray(node)) {
    for (const child of node) htmlQuasis(child, found);
    return found;
  }
  const n = node as Node;
  const tag = n.tag as Node | undefined;
  if (n.type === 'TaggedTemplateExpression' && tag?.type === 'Identifier' && tag.name === 'html') {
    found.push(...((n.quasi as Node).quasis as Node[]));
  }
  for (const key of Object.keys(n)) if (key !== 'type') htmlQuasis(n[key], found);
  return found;
}

function minifyHtmlTemplates(): Plugin {
  return {
    name: 'card-stream:minify-html-templates',
    enforce: 'post',
    transform(code, id) {
      if (!/\/packages\/card-stream\/src\/.*\.ts$/.test(id) || !code.includes('html`')) return null;
      let out = code;
      // Last first, so earlier offsets stay valid.
      for (const q of htmlQuasis(this.parse(code), []).sort((a, b) => b.start - a.start)) {
        out = out.slice(0, q.start) + out.slice(q.start, q.end).replace(/[ \t]*\n[ \t]*/g, '\n') + out.slice(q.end);
      }
      return { code: out, map: null };
    },
  };
}

// The SDK never sets reconnecting-websocket's `debug` option, so its ~17 logging calls
// (each a statement of its own line in the ES build) are dead weight in every bundle, and
// so is the logger's own console call, the only user of the library's array-spread helpers
// (which then drop out too). Then its ES5 function expressions that use no `this` become
// arrows (terser's unsafe_arrows, as scripts/build.mjs does for the script-tag file): none
// is called with `new` or has its prototype used, and an app's bundler would keep them as
// they are (35 bytes gzip of card-stream/client). Nothing else is minified here.
function dropSocketDebugLogging(): Plugin {
  return {
    name: 'card-stream:drop-rws-debug',
    async transform(code, id) {
      if (!/reconnecting-websocket-mjs\.js$/.test(id)) return null;
      const dropped = code
        .replace(/^[ \t]*(?:_this|this)\._debug\(.*\);[ \t]*$/gm, '')
        .replace(/^[ \t]*console\.log\.apply\(console, __spread\(\['RWS>'\], args\)\);[ \t]*$/m, '');
      const { minify } = await import('terser');
      const out = await minify(dropped, {
        module: true,
        ecma: 2020,
        mangle: false,
        compress: { defaults: false, arrows: true, unsafe_arrows: true },
        format: { beautify: true, comments: 'some' },
        sourceMap: { asObject: true },
      });
      return { code: out.code as string, map: out.map as { mappings: string } };
    },
  };
}

export default defineConfig(({ mode }) => {
  const variant: Variant = mode === 'iife' || mode === 'bundle' ? mode : 'es';
  const { format, fileName, external } = VARIANTS[variant];
  return {
    root: packageDir,
    publicDir: false,
    plugins: [noServerModules(), minifyStyles(), minifyHtmlTemplates(), dropSocketDebugLogging()],
    build: {
      outDir: `${packageDir}dist`,
      emptyOutDir: false, // several builds (and the server's tsc) write into dist/
      target: 'es2022',
      minify: true,
      sourcemap: true,
      reportCompressedSize: false, // scripts/build.mjs prints sizes
      lib: {
        entry: variant === 'es' ? ES_ENTRIES : SDK_ENTRY,
        formats: [format],
        name: 'CardStream',
        fileName: (_format, entry) => (variant === 'es' ? `${entry}.js` : fileName),
      },
      rolldownOptions: {
        external: external ? (id: string) => EXTERNAL.test(id) : [],
        // Vite keeps whitespace in lib-mode ES output (for the host's bundler); the
        // self-contained bundle goes straight to browsers, so minify it fully.
        output: { exports: 'named', ...(variant === 'bundle' ? { minify: true } : {}) },
      },
    },
  };
});

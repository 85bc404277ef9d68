// SDK library build. One output per mode (Vite builds one format per lib run):
//   vite build                → dist/card-stream.js        ES module, lit & co. external
//   vite build --mode iife    → dist/card-stream.iife.js   classic script, window.CardStream
//   vite build --mode bundle  → dist/card-stream.bundle.js ES module, everything bundled
// scripts/build.mjs runs all three through Vite's JS API.
import { defineConfig, type Plugin } from 'vite';

export const SDK_ENTRY = 'src/sdk/register.ts';

export const VARIANTS = {
  es: { format: 'es', fileName: 'card-stream.js', external: true },
  iife: { format: 'iife', fileName: 'card-stream.iife.js', external: false },
  bundle: { format: 'es', fileName: 'card-stream.bundle.js', external: false },
} as const;

export type Variant = keyof typeof VARIANTS;

// Left to the host's bundler in dist/card-stream.js (package dependencies).
const EXTERNAL =
  /^(?:lit|lit-html|lit-element|@lit\/[^/]+|@lit-labs\/[^/]+|reconnecting-websocket|idb-keyval)(?:\/|$)/;

// The SDK may import only types from src/protocol; a runtime import there would pull
// the server's schema library into the browser bundle.
function noServerModules(): Plugin {
  return {
    name: 'card-stream:no-server-modules',
    enforce: 'pre',
    resolveId(source, importer) {
      if (/^@sinclair\/typebox(?:\/|$)/.test(source) || /\/src\/server\//.test(source)) {
        throw new Error(
          `${importer ?? 'the SDK'} imports ${source} at run time; the SDK may import only types ` +
            `from src/protocol (use "import type").`,
        );
      }
      return null;
    },
  };
}

export default defineConfig(({ mode }) => {
  const variant: Variant = mode === 'iife' || mode === 'bundle' ? mode : 'es';
  const { format, fileName, external } = VARIANTS[variant];
  return {
    publicDir: false,
    plugins: [noServerModules()],
    build: {
      outDir: 'dist',
      emptyOutDir: false, // several builds (and the server's tsc) write into dist/
      target: 'es2022',
      minify: true,
      sourcemap: true,
      reportCompressedSize: false, // scripts/build.mjs prints sizes
      lib: {
        entry: SDK_ENTRY,
        formats: [format],
        name: 'CardStream',
        fileName: () => fileName,
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

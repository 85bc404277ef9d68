// The demo app (demo/index.html), built into dist/demo and served by `npm start` (--demo).
// It bundles the SDK from source, so the demo always shows the SDK of this checkout.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const demo = fileURLToPath(new URL('./demo/', import.meta.url));

export default defineConfig({
  root: demo,
  // The SPA example imports the package by name; here that is this checkout's build of it.
  resolve: { alias: { 'card-stream': fileURLToPath(new URL('./dist/card-stream.js', import.meta.url)) } },
  base: '/',
  publicDir: 'public',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./dist/demo/', import.meta.url)),
    emptyOutDir: true,
    rolldownOptions: {
      input: { index: `${demo}index.html`, 'script-tag': `${demo}script-tag.html`, spa: `${demo}spa/index.html` },
    },
  },
});

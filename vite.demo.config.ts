// The demo app (demo/index.html), built into packages/card-stream-server/dist/demo and served
// by `npm start` (--demo). The SPA example imports the SDK by name, `card-stream`, which is
// the workspace link to packages/card-stream (its built ES module), as in an app that ran
// `npm install card-stream`; the demo pages bundle the SDK the same way.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const demo = fileURLToPath(new URL('./demo/', import.meta.url));

export default defineConfig({
  root: demo,
  base: '/',
  publicDir: 'public',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./packages/card-stream-server/dist/demo/', import.meta.url)),
    emptyOutDir: true,
    rolldownOptions: {
      input: { index: `${demo}index.html`, 'script-tag': `${demo}script-tag.html`, spa: `${demo}spa/index.html` },
    },
  },
});

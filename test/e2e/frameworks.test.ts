// The SDK as integrators get it (CONTRACT §0, §8a): `npm pack` of packages/card-stream,
// installed into empty projects. It brings its four runtime libraries and nothing else (no
// server code, no native module); every entry imports in Node (server-side rendering);
// small React 18, React 19, Vue 3 and Svelte 5 apps built with vite run in Chromium against
// the real platform: a card sent through the API shows, dismiss reaches the server, and an
// inline-arrow delegate over 20 re-renders costs one feed request and one socket. The
// README's framework snippets are files of examples/: the Svelte one runs here, the
// Next.js one renders on the server here, the Vue one is checked here by vue-tsc with the
// package's template types.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, extname } from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import type { Plugin } from 'vite';
import { startPlatform, type RunningPlatform } from './platform.js';

const run = promisify(execFile);
const KEY = 'frameworks-bootstrap-key-of-32-characters';
const CHROME = process.env.CHROME_PATH ?? '/usr/bin/chromium';
const SDK_RUNTIME = ['@lit/context', 'idb-keyval', 'lit', 'reconnecting-websocket'];

const work = mkdtempSync(join(tmpdir(), 'cs-frameworks-'));
let tarball = '';
let platform: RunningPlatform;
let apiUrl = '';
let browser: Browser;

const api = (method: string, path: string, body?: unknown) => platform.api(method, path, body);

/** An empty project with the packed SDK and `extra` dependencies installed. */
async function project(name: string, extra: Record<string, string>): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module', dependencies: { 'card-stream': `file:${tarball}`, ...extra } }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: dir, timeout: 240_000 });
  return dir;
}

/** Serves `dir` (a vite build) and answers GET /token?user= with an end-user token, as a host backend would. */
async function host(dir: string): Promise<{ url: string; server: Server }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/token') {
      const { token } = await api('POST', '/v1/auth/token', { userId: url.searchParams.get('user') });
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ token }));
    }
    const file = join(dir, url.pathname === '/' ? 'index.html' : url.pathname);
    try {
      res.setHeader('content-type', types[extname(file)] ?? 'application/octet-stream');
      res.end(readFileSync(file));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Builds `main.js` (with an index.html around it) in `dir` with vite. */
async function viteBuild(dir: string, main: string, plugins: Plugin[] = []): Promise<string> {
  writeFileSync(join(dir, 'index.html'), '<!doctype html><html><head><meta charset="utf-8"><title>app</title></head><body><div id="root"></div><script type="module" src="./main.js"></script></body></html>');
  writeFileSync(join(dir, 'main.js'), main);
  const { build } = await import('vite');
  await build({ root: dir, logLevel: 'silent', configFile: false, plugins, build: { outDir: join(dir, 'dist'), emptyOutDir: true } });
  return join(dir, 'dist');
}

/** The file of examples/ a README section quotes. */
const example = (name: string) => readFileSync(join(process.cwd(), 'examples', name), 'utf8');

/** Compiles .svelte files as vite loads them, with the app's own Svelte 5 compiler. */
function svelte(dir: string): Plugin {
  type Compile = (source: string, options: { filename: string; generate: 'client' }) => { js: { code: string; map: never } };
  const { compile } = createRequire(join(dir, 'package.json'))('svelte/compiler') as { compile: Compile };
  return {
    name: 'svelte',
    transform(code, id) {
      return id.endsWith('.svelte') ? compile(code, { filename: id, generate: 'client' }).js : null;
    },
  };
}

const REACT_APP = `
import { createElement as h, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { CardStream } from 'card-stream/react';
const params = new URLSearchParams(location.search);
const token = () => fetch('/token?user=' + params.get('user')).then((r) => r.json()).then((b) => b.token);
function App() {
  const [renders, setRenders] = useState(0);
  useEffect(() => {
    if (renders < 20) {
      const t = setTimeout(() => setRenders(renders + 1), 25);
      return () => clearTimeout(t);
    }
    window.renders = renders;
  }, [renders]);
  // A new arrow on every render, as React tutorials write it.
  return h('div', null, h(CardStream, { apiBase: params.get('api'), sessionDelegate: () => token(), onCsState: (e) => (window.states ??= []).push(e.detail.state) }));
}
createRoot(document.getElementById('root')).render(h(App));
`;

const VUE_APP = `
import { createApp, h, ref, onMounted } from 'vue';
import 'card-stream';
const params = new URLSearchParams(location.search);
const token = () => fetch('/token?user=' + params.get('user')).then((r) => r.json()).then((b) => b.token);
createApp({
  setup() {
    const renders = ref(0);
    onMounted(() => {
      const tick = () => (renders.value < 20 ? setTimeout(() => (renders.value++, tick()), 25) : (window.renders = renders.value));
      tick();
    });
    return () => h('div', { 'data-renders': renders.value }, [
      h('card-stream', { 'api-base': params.get('api'), sessionDelegate: () => token(), onCsState: (e) => (window.states ??= []).push(e.detail.state) }),
    ]);
  },
}).mount('#root');
`;

// The README's Svelte component (examples/svelte-feed.svelte) inside an app that updates
// 20 times.
const SVELTE_APP = `
import { mount } from 'svelte';
import App from './App.svelte';
const params = new URLSearchParams(location.search);
const token = () => fetch('/token?user=' + params.get('user')).then((r) => r.json()).then((b) => b.token);
document.addEventListener('cs-state', (e) => (window.states ??= []).push(e.detail.state));
mount(App, { target: document.getElementById('root'), props: { apiBase: params.get('api'), getToken: token } });
`;
const SVELTE_WRAPPER = `<script>
  import Feed from './Feed.svelte';
  let { apiBase, getToken } = $props();
  let renders = $state(0);
  $effect(() => {
    if (renders < 20) {
      const t = setTimeout(() => renders++, 25);
      return () => clearTimeout(t);
    }
    window.renders = renders;
  });
</script>
<div data-renders={renders}><Feed {apiBase} {getToken} /></div>
`;

interface App {
  name: string;
  deps: Record<string, string>;
  main: string;
  /** Files written next to main.js. */
  files?: Record<string, string>;
  plugins?: (dir: string) => Plugin[];
}

const APPS: App[] = [
  { name: 'react18', deps: { react: '^18.3.1', 'react-dom': '^18.3.1' }, main: REACT_APP },
  { name: 'react19', deps: { react: '^19', 'react-dom': '^19' }, main: REACT_APP },
  { name: 'vue3', deps: { vue: '^3.5' }, main: VUE_APP },
  {
    name: 'svelte5',
    deps: { svelte: '^5' },
    main: SVELTE_APP,
    files: { 'App.svelte': SVELTE_WRAPPER, 'Feed.svelte': example('svelte-feed.svelte') },
    plugins: (dir) => [svelte(dir)],
  },
];

describe('the SDK package in apps', { timeout: 600_000 }, () => {
  before(async () => {
    const sdk = join(process.cwd(), 'packages/card-stream');
    assert.ok(statSync(join(sdk, 'dist/client.js')).isFile(), 'the SDK is built (npm run build)');
    const { stdout } = await run('npm', ['pack', '--pack-destination', work, '--loglevel=error'], { cwd: sdk });
    tarball = join(work, stdout.trim().split('\n').at(-1) as string);
    platform = await startPlatform(KEY, 'packages/card-stream-server/src/main.ts', ['--no-demo']);
    apiUrl = platform.url;
    browser = await chromium.launch({ executablePath: CHROME, args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--no-first-run'] });
  });

  after(async () => {
    await browser?.close();
    platform?.process.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  test('npm pack installs into an empty project with the four runtime libraries only: no server code, no native module; every entry imports in Node', async () => {
    const dir = await project('plain', { react: '^19' });
    const manifest = JSON.parse(readFileSync(join(dir, 'node_modules/card-stream/package.json'), 'utf8'));
    assert.deepEqual(Object.keys(manifest.dependencies).sort(), SDK_RUNTIME);
    const installed = readdirSync(join(dir, 'node_modules')).flatMap((n) => (n.startsWith('@') ? readdirSync(join(dir, 'node_modules', n)).map((m) => `${n}/${m}`) : [n]));
    for (const banned of ['fastify', 'pg', 'better-sqlite3', 'kysely', 'tsx', '@sinclair/typebox', 'card-stream-server', 'typescript']) assert.ok(!installed.includes(banned), `${banned} is not installed`);
    const { stdout: natives } = await run('find', [join(dir, 'node_modules'), '-name', '*.node']);
    assert.equal(natives.trim(), '', 'no native module');
    const { stdout: size } = await run('du', ['-sk', join(dir, 'node_modules/card-stream')]);
    console.log(`# card-stream installed: ${size.split('\t')[0]} KB; node_modules: ${installed.filter((n) => n !== '.package-lock.json').join(', ')}`);
    // Its declarations type-check in a strict app with no TypeBox installed (skipLibCheck off).
    writeFileSync(
      join(dir, 'consumer.ts'),
      [
        "import { configure, type CardStreamElement, type CsCountDetail } from 'card-stream';",
        "import { defineElements } from 'card-stream/elements';",
        "import { createClient, type HeadlessSnapshot, type SdkCard } from 'card-stream/client';",
        "const feed = createClient({ apiBase: 'https://cards.example.com', sessionDelegate: async () => 'token', filter: [{ field: 'priority', op: 'lte', value: 3 }] });",
        "feed.subscribe((s: HeadlessSnapshot) => { const first: SdkCard | undefined = s.cards[0]; const kinds: string[] = first ? first.definition.blocks.map((b) => b.type) : []; console.log(kinds, s.total); });",
        'configure({ sessionUrl: "/token" });',
        'defineElements();',
        "const el: CardStreamElement = document.createElement('card-stream');",
        "el.mode = 'launcher';",
        "el.addEventListener('cs-count', (e) => { const d: CsCountDetail = e.detail; console.log(d.total); });",
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [] }, files: ['consumer.ts'] }),
    );
    const tsc = join(process.cwd(), 'node_modules/typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', dir]).catch((err: { stdout?: string }) => assert.fail(`the app does not type-check against the package:\n${err.stdout ?? err}`));
    // Server-side rendering imports every entry with no window or document.
    const script = "for (const e of ['card-stream', 'card-stream/elements', 'card-stream/client', 'card-stream/react']) { const m = await import(e); if (!Object.keys(m).length) throw new Error(e + ' exports nothing'); }";
    await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
  });

  for (const app of APPS) {
    test(`${app.name}: a card shows and dismisses; 20 re-renders with an inline-arrow delegate make one feed request and one socket`, async () => {
      const dir = await project(app.name, app.deps);
      for (const [name, text] of Object.entries(app.files ?? {})) writeFileSync(join(dir, name), text);
      const site = await host(await viteBuild(dir, app.main, app.plugins?.(dir)));
      const user = `${app.name}-${Math.random().toString(36).slice(2, 8)}`;
      const template = await api('POST', '/v1/card-templates', { name: `${app.name} card`, definition: { blocks: [{ type: 'headline', content: `Hello from ${app.name}` }] } });
      await api('POST', `/v1/card-templates/${template.id}/publish`);
      const sent = await api('POST', `/v1/action-flows/${template.id}/start`, { flows: [{ target: { type: 'user', targetUserIds: [user] } }] });
      const cardId = sent.cards[0].cardInstanceId as string;
      const page = await browser.newPage();
      page.on('pageerror', (err) => console.log(`# ${app.name} page error: ${err.message}`));
      await page.addInitScript(() => {
        const w = window as unknown as { feeds: number; sockets: number };
        w.feeds = 0;
        w.sockets = 0;
        const realFetch = window.fetch;
        window.fetch = (input, init) => {
          if (String(input instanceof Request ? input.url : input).includes('/v1/sdk/streams/')) w.feeds++;
          return realFetch(input, init);
        };
        const Real = window.WebSocket;
        window.WebSocket = class extends Real {
          constructor(url: string | URL, protocols?: string | string[]) {
            super(url, protocols);
            w.sockets++;
          }
        };
      });
      try {
        await page.goto(`${site.url}/?api=${encodeURIComponent(apiUrl)}&user=${user}`);
        const card = page.locator(`card-stream [data-card-id="${cardId}"]`);
        await card.locator('.headline', { hasText: `Hello from ${app.name}` }).waitFor({ timeout: 10_000 });
        await page.waitForFunction(() => (window as unknown as { renders?: number }).renders === 20, undefined, { timeout: 10_000 });
        await page.waitForTimeout(1500);
        const counts = await page.evaluate(() => ({ feeds: (window as any).feeds, sockets: (window as any).sockets, states: (window as any).states }));
        assert.equal(counts.feeds, 1, `${app.name}: feed requests`);
        assert.equal(counts.sockets, 1, `${app.name}: sockets`);
        assert.equal(counts.states.at(-1), 'live');
        await card.locator('[part~="menu-button"]').click();
        await page.locator('card-stream [part~="menu-item"][data-action="dismiss"]').click();
        await card.waitFor({ state: 'detached', timeout: 5000 });
        for (let i = 0; i < 50; i++) {
          const status = (await api('GET', `/v1/cards?userId=${user}`)).data[0].status;
          if (status === 'dismissed') break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal((await api('GET', `/v1/cards?userId=${user}`)).data[0].status, 'dismissed');
      } finally {
        await page.close();
        site.server.close();
      }
    });
  }

  test('vue3 templates: with card-stream/vue, vue-tsc checks the elements\' properties and events (the README snippet passes, a wrong mode or event use fails)', async () => {
    const dir = await project('vue-types', { vue: '^3.5', 'vue-tsc': '^3', typescript: '~5.9' });
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src/env.d.ts'), "import type {} from 'card-stream/vue';\n");
    const feed = example('vue-feed.vue');
    writeFileSync(join(dir, 'src/Feed.vue'), feed);
    const wrong = feed.replace('mode="launcher"', 'mode="sideways"').replace('showState(e.detail)', 'showState(e)');
    assert.notEqual(wrong, feed);
    writeFileSync(join(dir, 'src/Wrong.vue'), wrong);
    const vueTsc = join(dir, 'node_modules/vue-tsc/bin/vue-tsc.js');
    const check = async (files: string[]): Promise<string> => {
      const compilerOptions = { strict: true, noEmit: true, skipLibCheck: false, module: 'esnext', moduleResolution: 'bundler', target: 'es2022', lib: ['es2022', 'dom'], types: [] };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: files }));
      return run(process.execPath, [vueTsc, '-p', dir], { cwd: dir }).then(() => '', (err: { stdout?: string }) => err.stdout ?? String(err));
    };
    assert.equal(await check(['src/env.d.ts', 'src/Feed.vue']), '', 'the README snippet type-checks');
    const errors = await check(['src/env.d.ts', 'src/Wrong.vue']);
    assert.match(errors, /Type '"sideways"' is not assignable to type 'DisplayMode \| undefined'/);
    assert.match(errors, /Argument of type 'CustomEvent<CsStateDetail>' is not assignable to parameter of type 'CsStateDetail'/);
    // Without the package's types the listeners' events are untyped: strict mode refuses them.
    assert.match(await check(['src/Feed.vue']), /Parameter 'e' implicitly has an 'any' type/);
  });

  test('next.js (SSR): the README client component renders on the server with react-dom/server', async () => {
    const dir = await project('ssr', { react: '^19', 'react-dom': '^19' });
    writeFileSync(join(dir, 'feed.tsx'), example('next-feed.tsx'));
    writeFileSync(
      join(dir, 'server.jsx'),
      "import { createElement } from 'react';\nimport { renderToString } from 'react-dom/server';\nimport Feed from './feed.tsx';\nprocess.stdout.write(renderToString(createElement(Feed, { apiBase: 'https://cards.example.com' })));\n",
    );
    const { build } = await import('vite');
    await build({ root: dir, logLevel: 'silent', configFile: false, build: { ssr: join(dir, 'server.jsx'), outDir: join(dir, 'ssr'), emptyOutDir: true } });
    const { stdout } = await run(process.execPath, [join(dir, 'ssr/server.js')], { cwd: dir });
    // The bare tags: the elements take over in the browser.
    assert.match(stdout, /<card-count><\/card-count><card-stream><\/card-stream>/, stdout);
  });
});

#!/usr/bin/env node
// npm run build: the SDK package (three bundles + type declarations), the server package
// and the demo.
//   packages/card-stream/dist/card-stream.js          ES module, lit & co. external (for bundlers)
//   packages/card-stream/dist/card-stream.iife.js     classic <script>, registers the elements, window.CardStream
//   packages/card-stream/dist/card-stream.bundle.js   ES module with everything bundled (<script type="module">)
//   packages/card-stream/dist/types/                  declarations (packages/card-stream/tsconfig.build.json; the
//                                                     wire types spelled out by scripts/plain-protocol-types.ts)
//   packages/card-stream/custom-elements.json         the elements' manifest (@custom-elements-manifest/analyzer)
//   packages/card-stream-server/dist/node/            the server (packages/card-stream-server/tsconfig.build.json)
//   packages/card-stream-server/dist/demo/            the demo pages (vite.demo.config.ts), served with --demo
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
process.env.NODE_ENV ??= 'production'; // production export conditions (no lit dev mode)

const SDK_DIST = 'packages/card-stream/dist';
const SERVER_DIST = 'packages/card-stream-server/dist';
const IIFE_GZIP_BUDGET = 24 * 1024;
const SDK_FILES = ['card-stream.js', 'card-stream.iife.js', 'card-stream.bundle.js'];
// typescript's "exports" hide bin/tsc; locate it through its package.json "bin" field.
const tsPackageJson = createRequire(import.meta.url).resolve('typescript/package.json');
const tscBin = join(dirname(tsPackageJson), JSON.parse(readFileSync(tsPackageJson, 'utf8')).bin.tsc);

/** custom-elements.json (packages/card-stream/custom-elements-manifest.config.mjs). */
const cemBin = createRequire(import.meta.url).resolve('@custom-elements-manifest/analyzer/cem.js');

function run(label, args, { bin = tscBin, cwd = root } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'inherit'], cwd });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${label} failed (${signal ?? `exit ${code}`})`)),
    );
  });
}

async function buildSdk() {
  const { build } = await import('vite');
  for (const mode of ['production', 'iife', 'bundle']) {
    await build({ configFile: join(root, 'packages/card-stream/vite.config.ts'), mode, logLevel: 'warn' });
  }
  for (const file of ['card-stream.iife.js', 'card-stream.bundle.js']) await minifyAgain(join(SDK_DIST, file));
}

/**
 * The files that go straight to browsers get a second pass with terser after Vite's
 * minifier: it compresses further (about 200 bytes gzip of the script-tag file) and keeps
 * the names Vite's pass already shortened (class-private ones too, which terser alone
 * leaves long). The source map is carried through, so it still points at the sources.
 * `unsafe_arrows` turns function expressions that use no `this` into arrows (about 40 bytes
 * gzip, mostly in reconnecting-websocket's ES5 build): unsafe only for a function that is
 * called with `new` or whose `prototype` is used, and every function expression in the
 * bundle is a callback, a getter, a prototype method or an immediately run wrapper.
 */
async function minifyAgain(path) {
  const { minify } = await import('terser');
  const code = readFileSync(path, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '');
  const name = basename(path);
  const result = await minify(code, {
    ecma: 2020,
    module: name.endsWith('.bundle.js'),
    compress: { passes: 2, unsafe_arrows: true },
    sourceMap: { content: readFileSync(`${path}.map`, 'utf8'), url: `${name}.map` },
  });
  writeFileSync(path, result.code);
  writeFileSync(`${path}.map`, result.map);
}

function formatSize(bytes) {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

async function main() {
  const started = Date.now();
  for (const dir of [SDK_DIST, SERVER_DIST]) rmSync(dir, { recursive: true, force: true });
  console.log('build: SDK (vite), SDK types and server (tsc)');
  // tsc runs in child processes, so it overlaps with the Vite builds.
  await Promise.all([
    buildSdk(),
    run('SDK types (tsc -p packages/card-stream/tsconfig.build.json)', ['-p', 'packages/card-stream/tsconfig.build.json']),
    run('server (tsc -p packages/card-stream-server/tsconfig.build.json)', ['-p', 'packages/card-stream-server/tsconfig.build.json']),
    run('custom-elements.json (cem analyze)', ['analyze'], { bin: cemBin, cwd: join(root, 'packages/card-stream') }),
  ]);
  // The SDK's declarations with the wire types spelled out, so an app needs no TypeBox.
  await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/plain-protocol-types.ts'], { stdio: 'inherit', cwd: root });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`plain-protocol-types failed (exit ${code})`))));
  });
  // The demo bundles the SDK's ES module for its npm example, so it comes after it.
  const { build } = await import('vite');
  await build({ configFile: join(root, 'vite.demo.config.ts'), logLevel: 'warn' });

  console.log('\nSDK files           raw        gzip -9');
  let iifeGzip = 0;
  for (const file of SDK_FILES) {
    const bytes = readFileSync(join(SDK_DIST, file));
    const gzip = gzipSync(bytes, { level: 9 }).length;
    if (file === 'card-stream.iife.js') iifeGzip = gzip;
    console.log(`  ${file.padEnd(22)}${formatSize(bytes.length).padStart(9)}  ${formatSize(gzip).padStart(9)}`);
  }
  const pct = ((iifeGzip / IIFE_GZIP_BUDGET) * 100).toFixed(0);
  const verdict = iifeGzip <= IIFE_GZIP_BUDGET ? 'within budget' : 'OVER BUDGET';
  console.log(
    `IIFE gzip: ${formatSize(iifeGzip)} of the ${formatSize(IIFE_GZIP_BUDGET)} budget (${pct}%): ${verdict}`,
  );
  // What each package entry costs an app that imports only it (scripts/entry-sizes.mjs).
  const { entrySizes } = await import('./entry-sizes.mjs');
  console.log('\nSDK entries, as an app bundles them (gzip -9)');
  for (const { entry, gzip, budget, lit } of await entrySizes(root)) {
    const over = budget !== undefined && gzip > budget;
    if (over || (entry === 'card-stream/client' && lit)) process.exitCode = 1;
    console.log(`  ${entry.padEnd(22)}${formatSize(gzip).padStart(9)}${budget ? ` of ${formatSize(budget)}` : ''}${lit ? '' : ', no Lit'}${over ? '  OVER BUDGET' : ''}`);
  }
  console.log(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (iifeGzip > IIFE_GZIP_BUDGET) {
    console.error('build: card-stream.iife.js is over its 24 KB gzip budget');
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(`build: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
});

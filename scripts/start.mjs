#!/usr/bin/env node
// npm start [-- --port N --memory …]: builds if the output is missing or stale, then runs
// the server (packages/card-stream-server/dist/node/…/main.js) with the same arguments, forwarding SIGINT/SIGTERM
// and exiting with its exit code.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SERVER_ENTRY = join(root, 'packages/card-stream-server/dist/node/card-stream-server/src/main.js');
const OUTPUTS = [
  SERVER_ENTRY,
  join(root, 'packages/card-stream/dist/card-stream.iife.js'),
  join(root, 'packages/card-stream-server/dist/demo/index.html'),
];
// Source folders, and the files besides them that change what the build produces.
const SOURCE_DIRS = ['packages/card-stream/src', 'packages/card-stream-server/src', 'packages/protocol/src', 'demo'];
const BUILD_INPUTS = [
  'scripts/build.mjs',
  'packages/card-stream/vite.config.ts',
  'vite.demo.config.ts',
  'tsconfig.json',
  'packages/card-stream-server/tsconfig.build.json',
  'packages/card-stream/tsconfig.build.json',
  'package.json',
  'packages/card-stream/package.json',
  'packages/card-stream-server/package.json',
].map((file) => join(root, file));

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function newestUnder(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    // entry.parentPath is Node ≥ 20.12; entry.path is the older name for it.
    const time = mtime(join(entry.parentPath ?? entry.path, entry.name)) ?? 0;
    if (time > newest) newest = time;
  }
  return newest;
}

function buildReason() {
  const outputTimes = OUTPUTS.map(mtime);
  const missing = OUTPUTS.find((_, i) => outputTimes[i] === undefined);
  if (missing) return `${missing.slice(root.length + 1)} is missing`;
  const oldestOutput = Math.min(...outputTimes);
  const newestInput = Math.max(...SOURCE_DIRS.map((dir) => newestUnder(join(root, dir))), ...BUILD_INPUTS.map((f) => mtime(f) ?? 0));
  return newestInput > oldestOutput ? 'sources changed since the last build' : undefined;
}

let child;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    else process.exit(128 + constants.signals[signal]);
  });
}

function run(args) {
  return new Promise((resolve, reject) => {
    child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? 128 + (constants.signals[signal] ?? 0)));
  });
}

const reason = buildReason();
if (reason) {
  console.log(`start: building first (${reason})`);
  const code = await run([join(root, 'scripts/build.mjs')]);
  if (code !== 0) {
    console.error(`start: build failed (exit ${code}); not starting the server`);
    process.exit(code);
  }
}
process.exitCode = await run([SERVER_ENTRY, ...process.argv.slice(2)]);

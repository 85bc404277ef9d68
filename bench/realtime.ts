// Realtime benchmarks:
// 1. latency from the API call that sends a card to the change arriving on the user's
//    socket, with 1,000 other users' sockets connected — and the same path on a bare `ws`
//    server (HTTP POST → ws.send to one socket), the floor on this machine, in the same run;
// 2. one server holding 10,000 authenticated sockets, three times: none refused or closed,
//    and its resident memory.
// Servers run in processes of their own; the clients run here.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { BENCH_KEY as KEY, BENCH_JWT_SECRET as JWT_SECRET, inBatches, opened, PLATFORM_MAIN, percentiles, sdkSocket, spawnServer } from './support.js';
import { record, recordFailure } from './results.js';

const OTHERS = Number(process.env.BENCH_OTHER_SOCKETS ?? 1000);
const HOLD = Number(process.env.BENCH_HELD_SOCKETS ?? 10_000);
const HOLD_RUNS = 3;
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 300);
// Every bench client comes from 127.0.0.1: the per-address cap (docs/security.md) goes up for them.
const SERVER_ENV = { JWT_SECRET, SOCKETS_PER_ADDRESS: String(2 * (HOLD + OTHERS) + 100) };
const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
const area = 'realtime';

/** Times from `trigger()` to the arrival `arrival()` waits for, SAMPLES times after 20 warm-ups. */
async function measure(trigger: () => Promise<void>, arrival: () => Promise<number>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < SAMPLES + 20; i++) {
    const arrived = arrival();
    const start = performance.now();
    const [, at] = await Promise.all([trigger(), arrived]);
    if (i >= 20) times.push(at - start);
  }
  return times;
}

/** Resolves with the time the next message matching `match` arrives through `listeners`. */
function nextMessageOn(listeners: Set<(text: string) => void>, match: (text: string) => boolean): () => Promise<number> {
  return () =>
    new Promise<number>((resolve) => {
      const listener = (text: string) => {
        if (!match(text)) return;
        listeners.delete(listener);
        resolve(performance.now());
      };
      listeners.add(listener);
    });
}

/** Median latency of the bare ws floor: HTTP POST → ws.send to one of OTHERS + 1 sockets. */
async function floorLatency(): Promise<number[]> {
  const server = await spawnServer('bench/bare-ws-server.ts', []);
  const sockets: WebSocket[] = [];
  try {
    const open = (id: string, onMessage?: (text: string) => void) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/?id=${id}`, { perMessageDeflate: false });
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
        if (onMessage) ws.on('message', (data) => onMessage(data.toString()));
      });
    sockets.push(...opened(await inBatches(OTHERS, 200, (i) => open(`other-${i}`))));
    const listeners = new Set<(text: string) => void>();
    sockets.push(await open('target', (text) => listeners.forEach((l) => l(text))));
    const payload = JSON.stringify({ type: 'change', seq: 1, card: { definition: { blocks: [{ type: 'headline', content: 'Hello Ada' }] } } });
    return await measure(
      async () => {
        const res = await fetch(`${server.url}/send?to=target`, { method: 'POST', body: payload });
        await res.arrayBuffer();
      },
      nextMessageOn(listeners, () => true),
    );
  } finally {
    for (const ws of sockets) ws.terminate();
    await server.stop();
  }
}

/** Latency of the platform: API send → the change on the user's socket, OTHERS others connected. */
async function platformLatency(storeArgs: string[]): Promise<number[]> {
  const server = await spawnServer(PLATFORM_MAIN, [...storeArgs, '--port', '0', '--bootstrap-key', KEY, '--no-demo'], SERVER_ENV);
  const sockets: WebSocket[] = [];
  try {
    const template = (await (
      await fetch(`${server.url}/v1/card-templates`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'Bench', definition: { blocks: [{ type: 'headline', content: 'Hello {{name}}' }] } }),
      })
    ).json()) as { id: string };
    await fetch(`${server.url}/v1/card-templates/${template.id}/publish`, { method: 'POST', headers });
    sockets.push(...opened(await inBatches(OTHERS, 200, (i) => sdkSocket(server.url, `other-${i}`))));
    const listeners = new Set<(text: string) => void>();
    sockets.push(await sdkSocket(server.url, 'target', (text) => listeners.forEach((l) => l(text))));
    const body = JSON.stringify({ flows: [{ target: { type: 'user', targetUserIds: ['target'] }, payload: { variables: { name: 'Ada' } } }] });
    return await measure(
      async () => {
        const res = await fetch(`${server.url}/v1/action-flows/${template.id}/start`, { method: 'POST', headers, body });
        await res.arrayBuffer();
        if (res.status !== 201) throw new Error(`send: ${res.status}`);
      },
      nextMessageOn(listeners, (text) => text.startsWith('{"type":"change"')),
    );
  } finally {
    for (const ws of sockets) ws.terminate();
    await server.stop();
  }
}

/** One server holding HOLD authenticated sockets: how many opened, were refused or closed. */
async function hold(run: number): Promise<void> {
  const server = await spawnServer(PLATFORM_MAIN, ['--memory', '--port', '0', '--bootstrap-key', KEY, '--no-demo'], SERVER_ENV);
  const sockets: WebSocket[] = [];
  const closes = new Map<number, number>();
  try {
    await new Promise((r) => setTimeout(r, 500));
    const idle = server.rssMb();
    const start = performance.now();
    const results = await inBatches(HOLD, 500, (i) => sdkSocket(server.url, `held-${i}`, undefined, (code) => closes.set(code, (closes.get(code) ?? 0) + 1)));
    sockets.push(...opened(results));
    const connectSeconds = (performance.now() - start) / 1000;
    await new Promise((r) => setTimeout(r, 2000));
    const held = server.rssMb();
    const refused = results.length - sockets.length;
    const stillOpen = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
    record({
      area,
      what: `run ${run}: ${HOLD.toLocaleString('en')} sockets connect and stay`,
      value: `${stillOpen.toLocaleString('en')} open, ${refused} refused${closes.size ? ` (closes ${JSON.stringify(Object.fromEntries(closes))})` : ''}, in ${connectSeconds.toFixed(1)} s; ${held.toFixed(0)} MB (+${(((held - idle) * 1024) / HOLD).toFixed(1)} KB a socket)`,
      goal: `${HOLD.toLocaleString('en')} open, 0 refused or closed`,
      met: stillOpen === HOLD && refused === 0,
    });
  } finally {
    for (const ws of sockets) ws.terminate();
    await server.stop();
  }
}

export async function run(): Promise<void> {
  try {
    const dataDir = await mkdtemp(join(tmpdir(), 'cs-bench-'));
    try {
      const disk = await platformLatency(['--data-dir', dataDir]);
      const floor = await floorLatency();
      const memory = await platformLatency(['--memory']);
      const f = percentiles(floor);
      const d = percentiles(disk);
      const m = percentiles(memory);
      record({ area, what: `bare ws floor: HTTP POST → ws.send to 1 of ${OTHERS + 1} sockets`, value: `median ${f(50)} ms, p99 ${f(99)} ms`, goal: 'floor' });
      for (const [name, p] of [['SQLite on disk', d], ['in-memory SQLite', m]] as const) {
        const ratio = Number(p(50)) / Number(f(50));
        record({
          area,
          what: `API send → socket (${name}), ${OTHERS} other sockets`,
          value: `median ${p(50)} ms (${ratio.toFixed(2)}× floor), p99 ${p(99)} ms`,
          goal: `≤ 2× floor (${(2 * Number(f(50))).toFixed(2)} ms)`,
          met: ratio <= 2,
        });
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  } catch (err) {
    recordFailure(`${area} latency`, err);
  }
  for (let i = 1; i <= HOLD_RUNS; i++) {
    try {
      await hold(i);
    } catch (err) {
      recordFailure(`${area} sockets, run ${i}`, err);
    }
  }
}

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
import { BENCH_KEY as KEY, BENCH_JWT_SECRET as JWT_SECRET, inBatches, opened, PLATFORM_MAIN, percentiles, sdkSocket, SOCKET_OPEN_MS, spawnServer, within } from './support.js';
import { record, recordFailure } from './results.js';

const OTHERS = Number(process.env.BENCH_OTHER_SOCKETS ?? 1000);
const HOLD = Number(process.env.BENCH_HELD_SOCKETS ?? 10_000);
const HOLD_RUNS = 3;
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 600);
// Every bench client comes from 127.0.0.1: the per-address cap (docs/security.md) goes up for them.
const SERVER_ENV = { JWT_SECRET, SOCKETS_PER_ADDRESS: String(2 * (HOLD + OTHERS) + 100) };
const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
const area = 'realtime';
type Percentiles = ReturnType<typeof percentiles>;

/** One path to time: `trigger()` causes a message that `arrival()` waits for. */
interface LatencyTarget {
  trigger: () => Promise<void>;
  arrival: () => Promise<number>;
  close: () => Promise<void>;
}

const WARM_UPS = 50;
const ROUND = 25;

/**
 * SAMPLES times from `trigger()` to arrival on each target, after WARM_UPS each. The targets
 * take turns ROUND samples at a time, so none is measured on a colder client, a less warmed
 * server or a busier minute of the machine than the others. (Measured one after another
 * with 20 warm-ups, the floor came out at 0.64-0.70 ms; in turns it is 0.43-0.55 ms, and
 * the platform's ratio to it higher.)
 */
async function measureInTurns(targets: LatencyTarget[]): Promise<number[][]> {
  const once = async (target: LatencyTarget) => {
    const arrived = target.arrival();
    const start = performance.now();
    // A change that never arrives fails the run (recorded as a failure), never hangs it.
    const [, at] = await within(10_000, 'a sent change on its socket', Promise.all([target.trigger(), arrived]));
    return at - start;
  };
  for (const target of targets) for (let i = 0; i < WARM_UPS; i++) await once(target);
  const times: number[][] = targets.map(() => []);
  for (let done = 0; done < SAMPLES; done += ROUND) {
    for (const [t, target] of targets.entries()) {
      for (let i = 0; i < Math.min(ROUND, SAMPLES - done); i++) times[t]!.push(await once(target));
    }
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

/** The bare ws floor: HTTP POST → ws.send to one of OTHERS + 1 sockets. */
async function floorTarget(): Promise<LatencyTarget> {
  const server = await spawnServer('bench/bare-ws-server.ts', []);
  const sockets: WebSocket[] = [];
  const close = async () => {
    for (const ws of sockets) ws.terminate();
    await server.stop();
  };
  try {
    const open = (id: string, onMessage?: (text: string) => void) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/?id=${id}`, { perMessageDeflate: false, handshakeTimeout: SOCKET_OPEN_MS });
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
        if (onMessage) ws.on('message', (data) => onMessage(data.toString()));
      });
    sockets.push(...opened(await inBatches(OTHERS, 200, (i) => open(`other-${i}`))));
    const listeners = new Set<(text: string) => void>();
    sockets.push(await open('target', (text) => listeners.forEach((l) => l(text))));
    const payload = JSON.stringify({ type: 'change', seq: 1, card: { definition: { blocks: [{ type: 'headline', content: 'Hello Ada' }] } } });
    return {
      async trigger() {
        const res = await fetch(`${server.url}/send?to=target`, { method: 'POST', body: payload });
        await res.arrayBuffer();
      },
      arrival: nextMessageOn(listeners, () => true),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The platform: API send → the change on the user's socket, OTHERS others connected. */
async function platformTarget(storeArgs: string[]): Promise<LatencyTarget> {
  const server = await spawnServer(PLATFORM_MAIN, [...storeArgs, '--port', '0', '--bootstrap-key', KEY, '--no-demo'], SERVER_ENV);
  const sockets: WebSocket[] = [];
  const close = async () => {
    for (const ws of sockets) ws.terminate();
    await server.stop();
  };
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
    return {
      async trigger() {
        const res = await fetch(`${server.url}/v1/action-flows/${template.id}/start`, { method: 'POST', headers, body });
        await res.arrayBuffer();
        if (res.status !== 201) throw new Error(`send: ${res.status}`);
      },
      arrival: nextMessageOn(listeners, (text) => text.startsWith('{"type":"change"')),
      close,
    };
  } catch (err) {
    await close();
    throw err;
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
  const targets: LatencyTarget[] = [];
  const dataDir = await mkdtemp(join(tmpdir(), 'cs-bench-'));
  try {
    targets.push(await floorTarget(), await platformTarget(['--data-dir', dataDir]), await platformTarget(['--memory']));
    const [floor, disk, memory] = (await measureInTurns(targets)).map(percentiles) as [Percentiles, Percentiles, Percentiles];
    record({ area, what: `bare ws floor: HTTP POST → ws.send to 1 of ${OTHERS + 1} sockets`, value: `median ${floor(50)} ms, p99 ${floor(99)} ms`, goal: 'floor' });
    for (const [name, p] of [['SQLite on disk', disk], ['in-memory SQLite', memory]] as const) {
      const ratio = Number(p(50)) / Number(floor(50));
      record({
        area,
        what: `API send → socket (${name}), ${OTHERS} other sockets`,
        value: `median ${p(50)} ms (${ratio.toFixed(2)}× floor), p99 ${p(99)} ms`,
        goal: `≤ 2× floor (${(2 * Number(floor(50))).toFixed(2)} ms)`,
        met: ratio <= 2,
      });
    }
  } catch (err) {
    recordFailure(`${area} latency`, err);
  } finally {
    for (const target of targets) await target.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  for (let i = 1; i <= HOLD_RUNS; i++) {
    try {
      await hold(i);
    } catch (err) {
      recordFailure(`${area} sockets, run ${i}`, err);
    }
  }
}

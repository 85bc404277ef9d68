// Shared by the benchmarks: percentiles, and a platform server in a process of its own
// (so the clients' work does not count against it).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { existsSync, readFileSync } from 'node:fs';
import { listeningUrl } from '../test/server/processes.js';
import { within } from '../test/server/deadline.js';
import { SignJWT } from 'jose';
import WebSocket from 'ws';

export { within };

export const BENCH_KEY = 'bench-bootstrap-key-at-least-32-characters';
/** Benched servers take this end-user secret, so the bench signs its users' tokens itself. */
export const BENCH_JWT_SECRET = 'bench-jwt-secret-bench-jwt-secret';
const jwtKey = new TextEncoder().encode(BENCH_JWT_SECRET);


export function percentiles(samples: number[]): (p: number) => string {
  const sorted = [...samples].sort((a, b) => a - b);
  return (p) => (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN).toFixed(2);
}

export interface ChildServer {
  url: string;
  process: ChildProcess;
  /** Resident memory in MB, from /proc. */
  rssMb(): number;
  stop(): Promise<void>;
}

/** The built server when there is one (`npm run build`), else the sources through tsx. */
const BUILT_MAIN = 'packages/card-stream-server/dist/node/card-stream-server/src/main.js';
export const PLATFORM_MAIN = existsSync(BUILT_MAIN) ? BUILT_MAIN : 'packages/card-stream-server/src/main.ts';

/** Starts `node <script> ...args` (through tsx for .ts) and waits for its `listening on <url>` line. */
export async function spawnServer(script: string, args: string[], env: Record<string, string> = {}): Promise<ChildServer> {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  // BENCH_SERVER_NODE_ARGS: flags for the server's node, such as `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, ...loader, script, ...args], {
    // A store is chosen by the arguments and `env` only, never by this process's DATABASE_URL.
    env: { ...process.env, LOG_LEVEL: 'warn', DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await listeningUrl(child, script);
  return {
    url,
    process: child,
    rssMb() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
    },
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface ApiProbe {
  /** Latencies so far, then cleared. */
  take(): number[];
  stop(): Promise<number[]>;
}

/**
 * Calls `request()` every `everyMs` until stopped, keeping each answer's latency: the API as
 * a user meets it while a background job runs.
 */
export function probeApi(request: () => Promise<Response>, everyMs = 20): ApiProbe {
  let times: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const start = performance.now();
      const res = await request();
      await res.arrayBuffer();
      if (res.status >= 300) throw new Error(`probe: HTTP ${res.status}`);
      times.push(performance.now() - start);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    take() {
      const taken = times;
      times = [];
      return taken;
    },
    async stop() {
      running = false;
      await loop;
      return times;
    },
  };
}

/** p99 and max of `times` in ms, and whether no request waited more than 100 ms. */
export function stallFigure(times: number[]): { value: string; met: boolean } {
  const p = percentiles(times);
  return { value: `p99 ${p(99)} ms, max ${p(100)} ms (${times.length} requests)`, met: Math.max(...times) <= 100 };
}

export const endUserJwt = (userId: string) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setIssuedAt().setExpirationTime('2h').sign(jwtKey);

/**
 * How long a bench socket may take to open (and, for the SDK's, to be ready). Once a run of
 * this bench waited forever for one of 1,000 sockets that neither opened nor failed: a
 * socket that does not open in time is a failure the bench counts, not a hang.
 */
export const SOCKET_OPEN_MS = 15_000;

/** Opens an SDK socket and authenticates; resolves once `ready` arrives, rejects if it closes first or is not ready within SOCKET_OPEN_MS. */
export async function sdkSocket(url: string, userId: string, onMessage?: (data: string) => void, onClose?: (code: number) => void): Promise<WebSocket> {
  // Signed before the socket opens: signing after, a busy machine could open the socket
  // first, its `open` then fire before the listener below exists, and the server close the
  // silent socket after its auth timeout (4408), a failure of the bench, not the server.
  const jwt = await endUserJwt(userId);
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/sdk/socket`, { perMessageDeflate: false, handshakeTimeout: SOCKET_OPEN_MS });
  const ready = new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code) => {
      onClose?.(code);
      reject(new Error(`socket closed with ${code}`));
    });
    ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', token: jwt })));
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('{"type":"ready"')) resolve();
      // Answer heartbeats as the SDK does, or the server closes a socket silent for 60 s.
      else if (text.startsWith('{"type":"ping"')) ws.send('{"type":"pong"}');
      else onMessage?.(text);
    });
  });
  await within(SOCKET_OPEN_MS, `socket of ${userId}`, ready).catch((err: unknown) => {
    ws.terminate();
    throw err;
  });
  return ws;
}

export async function inBatches<T>(count: number, batch: number, open: (i: number) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  const all: PromiseSettledResult<T>[] = [];
  for (let i = 0; i < count; i += batch) {
    all.push(...(await Promise.allSettled(Array.from({ length: Math.min(batch, count - i) }, (_, j) => open(i + j)))));
  }
  return all;
}

export const opened = <T>(results: PromiseSettledResult<T>[]) => results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));


/**
 * What was written before reaches the disk: PostgreSQL's dirty pages (CHECKPOINT, when
 * `postgresUrl` is given) and then the kernel's (`sync`). A bench settled so does not pay
 * for what an earlier step or bench wrote. CHECKPOINT needs a superuser (or pg_checkpoint):
 * without one, only `sync` is done.
 */
export async function settle(postgresUrl?: string): Promise<void> {
  if (postgresUrl) {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client
      .connect()
      .then(() => client.query('checkpoint'))
      .catch((err: Error) => console.log(`  (no CHECKPOINT: ${err.message})`))
      .finally(() => client.end());
  }
  await promisify(execFile)('sync');
}

// Test servers: the real platform listening on 127.0.0.1, over a real store.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Database } from '../../packages/card-stream-server/src/store/schema.js';
import { buildPlatform, type AppConfig, type Platform } from '../../packages/card-stream-server/src/app.js';
import type { StoreOptions } from '../../packages/card-stream-server/src/store/database.js';
import { within } from './deadline.js';

export const BOOTSTRAP_KEY = 'test-bootstrap-key-at-least-32-characters';

export type StoreKind = 'sqlite' | 'postgres';

/** SQLite always; PostgreSQL when DATABASE_URL is set (CI sets it). */
export const STORE_KINDS: StoreKind[] = process.env.DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
if (!process.env.DATABASE_URL) console.log('# PostgreSQL tests skipped: DATABASE_URL is not set');

export interface TestStore {
  options: StoreOptions;
  drop(): Promise<void>;
}

/** A fresh, empty store of `kind`: a temporary SQLite folder, or a new PostgreSQL database. */
export async function freshStore(kind: StoreKind | 'memory'): Promise<TestStore> {
  if (kind === 'memory') return { options: { kind: 'memory' }, drop: async () => {} };
  if (kind === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'cs-test-'));
    return { options: { kind: 'sqlite', dataDir: dir }, drop: () => rm(dir, { recursive: true, force: true }) };
  }
  const admin = process.env.DATABASE_URL as string;
  const name = `cs_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    options: { kind: 'postgres', url: url.toString(), poolSize: 5 },
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      // pg-pool's end() resolves before its sockets have closed; forcing the drop then
      // would kill a connection mid-close, and its error would land in a later test.
      for (let i = 0; i < 40; i++) {
        const open = await c.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
        if (open.rows[0].n === 0) break;
        await sleep(25);
      }
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface Response<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestServer {
  url: string;
  platform: Platform;
  /** Calls the API with the bootstrap key unless `auth` says otherwise (null: no header). */
  api<T = any>(method: string, path: string, body?: unknown, auth?: string | null, headers?: Record<string, string>): Promise<Response<T>>;
  close(): Promise<void>;
}

export async function startServer(
  store: StoreOptions,
  extra: Partial<Pick<AppConfig, 'demo' | 'realtime' | 'cancelJobs' | 'sendJobs' | 'channelDailyCardLimit' | 'webhooks' | 'requestTimeoutMs'>> = {},
): Promise<TestServer> {
  // Test receivers listen on 127.0.0.1, which webhooks refuse unless the operator allows it.
  const webhooks = { allowPrivate: true, ...extra.webhooks };
  const platform = await buildPlatform({ store, bootstrapKey: BOOTSTRAP_KEY, ...extra, webhooks, demo: extra.demo ?? false });
  await platform.app.listen({ port: 0, host: '127.0.0.1' });
  const address = platform.app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    platform,
    async api(method, path, body, auth = BOOTSTRAP_KEY, headers = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (auth !== null) (init.headers as Record<string, string>).authorization = `Bearer ${auth}`;
      if (body !== undefined) {
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
      }
      const res = await fetch(url + path, init);
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON: keep the text */
      }
      return { status: res.status, body: parsed as any, headers: res.headers };
    },
    close: () => platform.app.close(),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A write transaction held open on `server`'s writer connection (as a send job's page or a
 * send with an Idempotency-Key holds it), once it has begun: `release` ends it. `within`
 * fails an answer that waits for it (3 s).
 */
export async function holdWrite(server: TestServer): Promise<{ release: () => Promise<void>; within: <T>(what: string, answer: Promise<T>) => Promise<T> }> {
  let done = () => {};
  let held: Promise<unknown> = Promise.resolve();
  await new Promise<void>((entered) => {
    held = server.platform.services.store.db.transaction().execute(async (tx) => {
      await tx.insertInto('settings').values({ key: 'held-write', value: 'v' }).execute();
      entered();
      await new Promise<void>((resolve) => (done = resolve));
    });
  });
  return {
    release: async () => {
      done();
      await held;
    },
    within: <T>(what: string, answer: Promise<T>) => within(3000, `${what} waited for the write transaction`, answer),
  };
}

/**
 * Watches this thread's event loop (a server started in this process runs on it) from now:
 * `stop` gives the longest it went without a turn, in ms. (monitorEventLoopDelay records a
 * delay only on the turn after it, which a single hold-up ended by the awaited answer may
 * never get before the watch ends.)
 */
export function watchEventLoop(): { stop: () => number } {
  let longest = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    longest = Math.max(longest, performance.now() - last);
    last = performance.now();
  }, 2);
  return {
    stop: () => {
      clearInterval(ticker);
      return Math.max(longest, performance.now() - last);
    },
  };
}

/** A published template whose headline greets {{name}}. */
export async function publishedTemplate(server: TestServer, extra: Record<string, unknown> = {}): Promise<string> {
  const created = await server.api('POST', '/v1/card-templates', {
    name: 'Greeting',
    definition: { blocks: [{ type: 'headline', content: 'Hello {{name}}' }] },
    ...extra,
  });
  if (created.status !== 201) throw new Error(`template: ${created.status} ${JSON.stringify(created.body)}`);
  const published = await server.api('POST', `/v1/card-templates/${created.body.id}/publish`);
  if (published.status !== 200) throw new Error(`publish: ${published.status}`);
  return created.body.id as string;
}

/** Sends the template to `userIds` (one flow), returning the API's answer. */
export async function send(
  server: TestServer,
  templateId: string,
  userIds: string[],
  payload: Record<string, unknown> = { variables: { name: 'Ada' } },
  mode: 'start' | 'test' = 'start',
) {
  return server.api('POST', `/v1/action-flows/${templateId}/${mode}`, {
    flows: [{ target: { type: 'user', targetUserIds: userIds }, payload }],
  });
}

/** An end-user token for `userId`, minted through the API as a host backend would. */
export async function endUserToken(server: TestServer, userId: string, expiresIn?: number): Promise<string> {
  const res = await server.api('POST', '/v1/auth/token', { userId, ...(expiresIn ? { expiresIn } : {}) });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

/** A fresh store of `kind` with a server on it: a suite's `before`. */
export async function openServer(kind: StoreKind, extra: Parameters<typeof startServer>[1] = {}): Promise<{ store: TestStore; server: TestServer }> {
  const store = await freshStore(kind);
  return { store, server: await startServer(store.options, extra) };
}

/** The suite's `after`: the server closed, then its store dropped. */
export async function closeServer(server: TestServer | undefined, store: TestStore | undefined): Promise<void> {
  await server?.close();
  await store?.drop();
}

/** A store's database with no migration run, to migrate step by step. */
export function unmigratedDb(options: StoreOptions): { db: Kysely<Database>; close(): Promise<void> } {
  if (options.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: options.url, max: 2 });
    // pool.end() resolves before its sockets close; the store's drop (WITH FORCE) would
    // then kill a closing connection, and the pool would throw that at whatever runs next.
    let open = 0;
    pool.on('connect', () => open++);
    pool.on('remove', () => open--);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      async close() {
        await db.destroy();
        while (open > 0) await sleep(10);
      },
    };
  }
  const file = options.kind === 'sqlite' ? join(options.dataDir, 'card-stream.sqlite') : ':memory:';
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new BetterSqlite3(file) }) });
  return { db, close: () => db.destroy() };
}

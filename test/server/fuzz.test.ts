// Bad input never reaches a 500 (CONTRACT §3): thousands of generated requests, seeded, over
// every documented route, built from each route's own schema (right shapes with wrong values,
// wrong shapes, extra and prototype-named fields, huge and deep values). Every answer is a
// 2xx or a 4xx with { error: { code, message } }, and a refused request changes nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { BOOTSTRAP_KEY, closeServer, endUserToken, openServer, publishedTemplate, send, type TestServer, type TestStore } from './harness.js';

const SEEDS = [1, 7, 42];
const REQUESTS_PER_ROUTE_AND_SEED = 30;

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T;
  return { next, int, pick };
}
type Random = ReturnType<typeof generator>;

const NASTY_STRINGS = [
  '',
  ' ',
  '__proto__',
  'constructor',
  'toString',
  '../../etc/passwd',
  '%',
  '%zz',
  '\u0000',
  '\ud800',
  '😀'.repeat(50),
  '<script>alert(1)</script>',
  'javascript:alert(1)',
  'P99999999D',
  'PT99999999999999999999S',
  '9999-12-31T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '-1',
  '1e400',
  'x'.repeat(5000),
  'a'.repeat(300),
  "'; drop table cards; --",
];
const NASTY_NUMBERS = [0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 10, 1001, 10_001];

type Schema = Record<string, any>;

function randomValue(r: Random, depth = 0): unknown {
  switch (r.int(depth > 3 ? 4 : 8)) {
    case 0:
      return r.pick(NASTY_STRINGS);
    case 1:
      return r.pick(NASTY_NUMBERS);
    case 2:
      return r.pick([true, false, null]);
    case 3:
      return randomUUID();
    case 4:
      return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    case 5: {
      const value: Record<string, unknown> = {};
      for (let i = r.int(4); i > 0; i--) value[r.pick(['a', 'type', 'id', '__proto__', 'constructor', 'blocks', r.pick(NASTY_STRINGS)])] = randomValue(r, depth + 1);
      return value;
    }
    case 6:
      return deepValue(r.pick([10, 63, 70, 200]));
    default:
      return Array.from({ length: r.pick([0, 11, 101, 1001]) }, () => r.pick(['x', 1, {}]));
  }
}

/** Any generated value as text (objects as JSON; their prototype may be anything). */
const text = (value: unknown): string => (typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));

/** A path segment; a lone surrogate (which encodeURIComponent refuses) goes as its raw bytes. */
function encodePathPart(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
}

const deepValue = (depth: number): unknown => {
  let value: unknown = 'deep';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

/** A value shaped like `schema`, with now and then a wrong part. */
function fromSchema(schema: Schema | undefined, r: Random, depth = 0): unknown {
  if (!schema || depth > 6 || r.next() < 0.15) return randomValue(r, depth);
  if (schema.anyOf || schema.oneOf) return fromSchema(r.pick(schema.anyOf ?? schema.oneOf), r, depth);
  if (schema.enum) return r.next() < 0.8 ? r.pick(schema.enum) : r.pick(NASTY_STRINGS);
  if (schema.const !== undefined) return schema.const;
  switch (schema.type) {
    case 'object': {
      const value: Record<string, unknown> = {};
      for (const [key, property] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
        if ((schema.required ?? []).includes(key) ? r.next() < 0.95 : r.next() < 0.5) value[key] = fromSchema(property, r, depth + 1);
      }
      if (r.next() < 0.1) value[r.pick(['__proto__', 'extra', 'constructor'])] = randomValue(r, depth + 1);
      return value;
    }
    case 'array':
      return Array.from({ length: r.pick([0, 1, 2, 3, 101]) }, () => fromSchema(schema.items, r, depth + 1));
    case 'string':
      return r.next() < 0.5 ? r.pick(NASTY_STRINGS) : r.pick([randomUUID(), 'PT10S', new Date().toISOString(), 'https://example.com/x', 'ok']);
    case 'integer':
    case 'number':
      return r.pick(NASTY_NUMBERS);
    case 'boolean':
      return r.next() < 0.5;
    default:
      return randomValue(r, depth);
  }
}

interface Operation {
  method: string;
  path: string;
  parameters?: { in: string; name: string; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}

describe('fuzzing every route', () => {
  let store: TestStore;
  let server: TestServer;
  let operations: Operation[];
  let userToken: string;
  const known: string[] = [];
  before(async () => {
    ({ store, server } = await openServer('sqlite'));
    const doc = (await server.api('GET', '/openapi.json', undefined, null)).body;
    operations = Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ ...op, method: method.toUpperCase(), path })),
    );
    // Some real ids, so generated requests reach past the 404s too.
    const template = await publishedTemplate(server);
    const user = `fuzz-${randomUUID()}`;
    const sent = await send(server, template, [user]);
    userToken = await endUserToken(server, user);
    const channel = (await server.api('POST', '/api/v1/channels', { name: 'fuzz' })).body.id;
    known.push(template, channel, sent.body.cards[0].cardInstanceId, user);
  });
  after(() => closeServer(server, store));

  async function counts(): Promise<string> {
    const db = server.platform.services.store.db;
    const tables = ['cards', 'analytics_events', 'card_templates', 'card_template_versions', 'webhooks', 'credentials', 'sdk_actions', 'channels', 'channel_cards', 'channel_interactions', 'cancel_jobs'] as const;
    const all = await Promise.all(tables.map((t) => db.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()));
    return all.map((row, i) => `${tables[i]}=${row.n}`).join(' ');
  }

  for (const seed of SEEDS) {
    test(`seed ${seed}: no 5xx, every 4xx has the error body, a refused request changes nothing`, async () => {
      const r = generator(seed);
      let sent = 0;
      const statuses = new Map<number, number>();
      for (const op of operations) {
        for (let i = 0; i < REQUESTS_PER_ROUTE_AND_SEED; i++) {
          const path = op.path.replace(/\{[^}]+\}/g, () => encodePathPart(text(r.next() < 0.5 ? r.pick(known) : fromSchema({ type: 'string' }, r))));
          const query = new URLSearchParams();
          for (const p of op.parameters ?? []) if (p.in === 'query' && r.next() < 0.5) query.set(p.name, text(fromSchema(p.schema, r)));
          if (r.next() < 0.1) query.set(r.pick(['bogus', '__proto__', 'constructor']), 'x');
          const schema = op.requestBody?.content['application/json']?.schema;
          const body = op.method === 'GET' || op.method === 'DELETE' ? undefined : r.next() < 0.1 ? r.pick(['{', '[]', 'null', '"x"', '{"a":']) : JSON.stringify(fromSchema(schema, r));
          const auth = op.path.startsWith('/v1/sdk/') ? userToken : r.next() < 0.9 ? BOOTSTRAP_KEY : null;
          const beforeCounts = await counts();
          const res = await server.api(op.method, `${path}${query.size ? `?${query}` : ''}`, body, auth);
          sent++;
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const what = `seed ${seed}: ${op.method} ${path}?${query} ${String(body).slice(0, 300)} → ${res.status} ${text(res.body).slice(0, 300)}`;
          assert.ok(res.status < 500, what);
          if (res.status >= 400) {
            assert.equal(typeof res.body?.error?.code, 'string', what);
            assert.equal(typeof res.body?.error?.message, 'string', what);
            assert.equal(await counts(), beforeCounts, `a refused request changed the store: ${what}`);
          }
        }
      }
      assert.ok(sent >= operations.length * REQUESTS_PER_ROUTE_AND_SEED);
      console.log(`# seed ${seed}: ${sent} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    });
  }
});

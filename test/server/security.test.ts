// What an attacker found in a day (issue 17), each hole closed and kept closed: poison
// durations, end users acting beyond their card, SSRF through webhooks, the demo's keys,
// file modes, privilege escalation, resource exhaustion, weak and unthrottled secrets,
// prototype names as ids, and bad input that reached a 500.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { mkdtemp, rm, stat, mkdir } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { readConfig } from '../../packages/card-stream-server/src/config.js';
import { isInternalAddress, postOutbound, ForbiddenDestination } from '../../packages/card-stream-server/src/webhooks/outbound.js';
import { OFFLINE_WINDOW_MS } from '../../packages/card-stream-server/src/end-user/event-time.js';
import { CLOSE_CODES } from '../../packages/protocol/src/sdk.js';
import { TestSocket } from './sockets.js';
import { BOOTSTRAP_KEY, closeServer, endUserToken, freshStore, openServer, publishedTemplate, send, sleep, startServer, type TestServer, type TestStore } from './harness.js';

/** How many rows each table holds: what "nothing changed" is checked against. */
async function tableCounts(server: TestServer): Promise<Record<string, number>> {
  const db = server.platform.services.store.db;
  const counts: Record<string, number> = {};
  for (const table of ['cards', 'analytics_events', 'card_templates', 'webhooks', 'credentials', 'sdk_actions', 'channels', 'channel_cards'] as const) {
    counts[table] = Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  }
  return counts;
}

/** JSON text nesting `depth` objects (built as text: JSON.stringify itself overflows on it). */
const nested = (depth: number): string => `${'{"a":'.repeat(depth)}"deep"${'}'.repeat(depth)}`;

/** A request with headers fetch() will not send as given (Host). */
function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('security', () => {
  let store: TestStore;
  let server: TestServer;
  before(async () => ({ store, server } = await openServer('sqlite')));
  after(() => closeServer(server, store));

  test('1. times and durations are range-checked at the edge; a stored poison time cannot fail a read', async () => {
    const template = await publishedTemplate(server);
    const before = await tableCounts(server);
    for (const [options, field] of [
      [{ expiresInterval: 'P99999999D' }, 'expiresInterval'],
      [{ expiresInterval: 'PT99999999999999999999S' }, 'expiresInterval'],
      [{ expires: '9999-12-31T00:00:00Z' }, 'expires'],
      [{ embargo: '+275760-09-13T00:00:00Z' }, 'embargo'],
    ] as const) {
      const res = await send(server, template, ['poison'], { variables: { name: 'A' }, cardOptions: options });
      assert.equal(res.status, 400, JSON.stringify(options));
      assert.match(res.body.error.message, new RegExp(`flows\\[0\\]\\.payload\\.cardOptions\\.${field}`));
    }
    const templated = await server.api('POST', '/v1/card-templates', { name: 'x', definition: { blocks: [] }, cardOptions: { expiresInterval: 'P99999999D' } });
    assert.equal(templated.status, 400);
    assert.deepEqual(await tableCounts(server), before, 'nothing was stored');

    const user = `poison-${randomUUID()}`;
    const card = (await send(server, template, [user])).body.cards[0].cardInstanceId;
    const snooze = await server.api('PUT', `/v1/cards/snooze?cardInstanceId=${card}`, { interval: 'P99999999D' });
    assert.equal(snooze.status, 400);
    assert.equal(snooze.body.error.code, 'invalid_duration');
    const sdkSnooze = await server.api('POST', `/v1/sdk/cards/${card}/actions`, { id: randomUUID(), type: 'snooze', until: '9999-01-01T00:00:00Z' }, await endUserToken(server, user));
    assert.equal(sdkSnooze.status, 400);

    // A row that came in before the checks (or by hand) still reads back.
    await server.platform.services.store.db.updateTable('cards').set({ expires_at: 1e20, snoozed_until: -1e20 }).where('card_instance_id', '=', card).execute();
    const listed = await server.api('GET', `/v1/cards?userId=${user}`);
    assert.equal(listed.status, 200);
    assert.equal((await server.api('GET', '/v1/cards?limit=1000')).status, 200);
    assert.equal((await server.api('GET', '/v1/sdk/streams/default/cards', undefined, await endUserToken(server, user))).status, 200);
  });

  test('2. an end user does exactly what the card offers; the Cards API may still act on any card', async () => {
    const locked = await publishedTemplate(server, {
      definition: {
        dismissible: false,
        snoozable: false,
        blocks: [
          { type: 'headline', content: 'Locked {{name}}' },
          { type: 'button', id: 'plain-block', buttons: [{ id: 'plain', label: 'Noted' }, { id: 'off', label: 'Off', disabled: true }] },
        ],
      },
    });
    const user = `offer-${randomUUID()}`;
    const token = await endUserToken(server, user);
    const card = (await send(server, locked, [user])).body.cards[0].cardInstanceId;
    const act = (body: Record<string, unknown>) => server.api('POST', `/v1/sdk/cards/${card}/actions`, { id: randomUUID(), ...body }, token);
    for (const body of [
      { type: 'dismiss' },
      { type: 'snooze', interval: 'PT1H' },
      { type: 'vote', direction: 'up' },
      { type: 'vote', direction: 'down', reason: 'too-often' },
      { type: 'interaction', buttonId: 'missing' },
      { type: 'interaction', buttonId: 'off' },
      { type: 'interaction', buttonId: 'plain', blockId: 'another-block' },
      { type: 'complete', payload: { approved: true, amount: 1_000_000_000 } },
      { type: 'complete', buttonId: 'plain', payload: { approved: true } },
    ]) {
      const refused = await act(body);
      assert.equal(refused.status, 403, JSON.stringify(body));
      assert.equal(refused.body.error.code, 'action_not_offered');
    }
    assert.equal((await act({ type: 'interaction', buttonId: 'plain', blockId: 'plain-block' })).status, 200);
    assert.equal((await server.api('GET', `/v1/cards?cardInstanceId=${card}`)).body.data[0].status, 'active');
    assert.equal((await server.api('PUT', `/v1/cards/dismiss?cardInstanceId=${card}`)).status, 200, 'the Cards API dismisses any card');

    // A completion carries the pressed submit button's payload and the checked inputs, nothing forged.
    const form = await publishedTemplate(server, {
      definition: {
        voting: 'useful',
        blocks: [
          { type: 'input', name: 'note', kind: 'text', label: 'Note' },
          { type: 'button', buttons: [{ id: 'send', label: 'Send', action: { type: 'submit', payload: { approved: false } } }, { id: 'go-away', label: 'Hide', action: { type: 'dismiss' } }] },
        ],
      },
    });
    const formCard = (await send(server, form, [user])).body.cards[0].cardInstanceId;
    const formAct = (body: Record<string, unknown>) => server.api('POST', `/v1/sdk/cards/${formCard}/actions`, { id: randomUUID(), ...body }, token);
    assert.equal((await formAct({ type: 'vote', direction: 'down' })).status, 403, 'voting "useful" takes only a vote up');
    assert.equal((await formAct({ type: 'vote', direction: 'up' })).status, 200);
    const done = await formAct({ type: 'complete', buttonId: 'send', values: { note: 'hi' }, payload: { approved: true, amount: 1_000_000_000 } });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const completed = (await server.api('GET', `/v1/cards?cardInstanceId=${formCard}`)).body.data[0];
    assert.deepEqual(completed.completion.payload, { approved: false, note: 'hi' });
  });

  test('3. webhooks refuse loopback, private, link-local and metadata addresses, at registration and at delivery', async () => {
    // A store of its own: on the shared one the suite's server (which may deliver to private
    // addresses, as tests do) could take the delivery first and reach the receiver below.
    const strictStore = await freshStore('sqlite');
    const strict = await startServer(strictStore.options, { webhooks: { allowPrivate: false, pollMs: 50, initialBackoffMs: 60_000 } });
    let receiver: Server | undefined;
    try {
      const own = new URL(strict.url);
      for (const url of [
        'http://127.0.0.1/hook',
        'http://localhost:8080/hook',
        'http://0.0.0.0/',
        'http://2130706433/',
        'http://0x7f.0.0.1/',
        'http://127.1/',
        'http://[::1]/',
        'http://169.254.169.254/latest/meta-data/',
        'http://10.1.2.3/',
        'http://192.168.0.10/',
        'http://[fd00::1]/',
        'http://[::ffff:127.0.0.1]/',
        `${own.origin}/v1/credentials`,
      ]) {
        const res = await strict.api('POST', '/v1/webhooks', { url, events: ['*'], secret: 'long-enough-secret' });
        assert.equal(res.status, 400, url);
        assert.equal(res.body.error.code, 'webhook_url_not_allowed', url);
      }
      assert.equal((await strict.api('POST', '/v1/webhooks', { url: 'http://93.184.216.34/hook', events: ['*'], secret: 'long-enough-secret' })).status, 201);
      assert.equal(isInternalAddress('8.8.8.8'), false);

      // A hook whose name resolves inward after registration (DNS rebinding) is refused at delivery.
      let hits = 0;
      receiver = createServer((_req, res) => {
        hits++;
        res.end();
      });
      await new Promise<void>((resolve) => receiver?.listen(0, '127.0.0.1', resolve));
      const port = (receiver.address() as net.AddressInfo).port;
      await assert.rejects(
        postOutbound(new URL(`http://localhost:${port}/`), '{}', {}, { policy: { allowPrivate: false }, signal: AbortSignal.timeout(2000) }),
        ForbiddenDestination,
      );
      const hook = (await strict.api('POST', '/v1/webhooks', { url: 'http://93.184.216.34/hook', events: ['*'], secret: 'long-enough-secret' })).body;
      await strict.platform.services.store.db.updateTable('webhooks').set({ url: `http://localhost:${port}/hook` }).where('id', '=', hook.id).execute();
      await send(strict, await publishedTemplate(strict), [`ssrf-${randomUUID()}`]);
      for (let i = 0; i < 100; i++) {
        const status = (await strict.api('GET', '/v1/webhooks')).body.data.find((w: { id: string }) => w.id === hook.id);
        if (status?.lastError) {
          assert.match(status.lastError, /Refused/);
          break;
        }
        await sleep(50);
      }
      assert.equal(hits, 0, 'the internal receiver got nothing');
    } finally {
      receiver?.close();
      await strict.close();
      await strictStore.drop();
    }
  });

  test('4. the demo answers only its own pages on this machine, and never hands out a key', async () => {
    const demo = await startServer(store.options, { demo: true });
    try {
      const post = (headers: Record<string, string>) =>
        rawRequest(`${demo.url}/demo/token`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"userId":"ada"}' });
      assert.equal(await post({}), 200);
      assert.equal(await post({ origin: demo.url }), 200, 'its own page');
      assert.equal(await post({ host: 'attacker.example' }), 403, 'a DNS-rebinding Host');
      assert.equal(await post({ host: `attacker.example:${new URL(demo.url).port}` }), 403);
      assert.equal(await post({ origin: 'http://attacker.example' }), 403, 'another page');
      assert.equal((await fetch(`${demo.url}/demo/key`)).status, 404, 'no key to hand out');
      assert.equal((await fetch(`${demo.url}/demo/api/v1/card-templates`)).status, 200);
      const credentials = await fetch(`${demo.url}/demo/api/v1/credentials`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"roles":["workbench"]}' });
      assert.equal(credentials.status, 404, 'credential management is no demo call');
      assert.equal((await fetch(`${demo.url}/demo/api/v1/webhooks`)).status, 404);
      assert.equal(await rawRequest(`${demo.url}/demo/api/v1/cards`, { headers: { host: 'attacker.example' } }), 403);
      const demoCredential = (await demo.api('GET', '/v1/credentials')).body.data.find((c: { clientId: string }) => c.clientId === 'demo');
      assert.deepEqual(demoCredential.roles.sort(), ['events', 'workbench']);
    } finally {
      await demo.close();
    }
  });

  test('5. the data directory is 700 and the store 600; a looser existing directory is warned about', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'cs-modes-'));
    const dataDir = join(parent, 'data');
    try {
      const fresh = await startServer({ kind: 'sqlite', dataDir });
      await fresh.close();
      assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
      for (const file of ['card-stream.sqlite', 'card-stream.sqlite-wal']) {
        const mode = await stat(join(dataDir, file)).then((s) => s.mode & 0o777, () => undefined);
        if (mode !== undefined) assert.equal(mode, 0o600, file);
      }
      const loose = join(parent, 'loose');
      await mkdir(loose, { mode: 0o755 });
      const warnings: string[] = [];
      const out = spawn(process.execPath, ['--import', 'tsx', 'packages/card-stream-server/src/main.ts', '--port', '0', '--data-dir', loose, '--no-demo'], {
        env: { ...process.env, DATABASE_URL: '', BOOTSTRAP_KEY: '' },
      });
      await new Promise<void>((resolve) => {
        out.stdout.on('data', (chunk: Buffer) => {
          warnings.push(chunk.toString());
          if (/listening on/.test(warnings.join(''))) resolve();
        });
      });
      out.kill('SIGTERM');
      assert.match(warnings.join(''), /readable by other accounts/);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  test('6. a credential grants only the roles it holds', async () => {
    const workbench = (await server.api('POST', '/v1/credentials', { roles: ['workbench'] })).body.clientSecret;
    const escalate = await server.api('POST', '/v1/credentials', { roles: ['events', 'workbench', 'auth'] }, workbench);
    assert.equal(escalate.status, 403);
    assert.equal(escalate.body.error.code, 'role_not_held');
    assert.match(escalate.body.error.message, /"events", "auth"/);
    assert.equal((await server.api('POST', '/v1/credentials', { roles: ['workbench'] }, workbench)).status, 201);
  });

  test('7. slow bodies time out; sockets are capped per address and per message rate; uploads have a quota', async () => {
    const limited = await startServer(store.options, {
      requestTimeoutMs: 800,
      realtime: { maxSocketsPerAddress: 3, messageBurst: 10, messagesPerSecond: 5 },
    });
    try {
      // A body sent a byte at a time is cut off.
      const port = Number(new URL(limited.url).port);
      const slow = net.connect(port, '127.0.0.1');
      let answer = '';
      slow.on('data', (d) => (answer += d.toString()));
      const closed = new Promise<number>((resolve) => slow.on('close', () => resolve(Date.now())));
      const started = Date.now();
      slow.write(`POST /v1/card-templates HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${BOOTSTRAP_KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
      const drip = setInterval(() => slow.write(' '), 200);
      const at = await Promise.race([closed, sleep(5000).then(() => 0)]);
      clearInterval(drip);
      slow.destroy();
      assert.ok(at > 0 && at - started < 4000, `closed after ${at - started} ms`);
      assert.match(answer, /^HTTP\/1\.1 408/);

      // Sockets per address.
      const sockets = await Promise.all([1, 2, 3].map(() => TestSocket.open(limited.url)));
      const fourth = await TestSocket.open(limited.url);
      assert.equal((await fourth.closed).code, CLOSE_CODES.tooMany);
      for (const s of sockets) s.ws.close();
      await Promise.all(sockets.map((s) => s.closed));

      // Messages per socket: 20,000 resumes would starve everyone; the socket is closed instead.
      const { socket } = await TestSocket.connect(limited.url, await endUserToken(limited, `rate-${randomUUID()}`));
      for (let i = 0; i < 50; i++) socket.send({ type: 'ping', t: i });
      assert.equal((await socket.closed).code, CLOSE_CODES.tooMany);

      // Uploads per user: 600 events a minute, then 429 with Retry-After.
      const token = await endUserToken(limited, `quota-${randomUUID()}`);
      const batch = () => ({ events: Array.from({ length: 100 }, () => ({ id: randomUUID(), analyticsEvent: 'sdk-initialized', timestamp: new Date().toISOString() })) });
      for (let i = 0; i < 6; i++) assert.equal((await limited.api('POST', '/v1/sdk/events', batch(), token)).status, 200);
      const over = await limited.api('POST', '/v1/sdk/events', batch(), token);
      assert.equal(over.status, 429);
      assert.equal(over.body.error.code, 'event_quota');
      assert.ok(Number(over.headers.get('retry-after')) > 0);
    } finally {
      await limited.close();
    }
  });

  test('7. an uploaded event keeps its own time, within the week an outbox may hold it', async () => {
    const user = `time-${randomUUID()}`;
    const token = await endUserToken(server, user);
    const sent = Date.now();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    // A time before this token was issued is kept: the outbox may hold a click across a reload that fetched a new token.
    const times = ['1970-01-01T00:00:00Z', '9999-12-31T00:00:00Z', new Date(sent - 3 * 86_400_000).toISOString()];
    const res = await server.api('POST', '/v1/sdk/events', { events: ids.map((id, i) => ({ id, analyticsEvent: 'sdk-initialized', timestamp: times[i] })) }, token);
    assert.equal(res.body.accepted, 3);
    const stored = await server.platform.services.store.db.selectFrom('analytics_events').select(['id', 'timestamp']).where('id', 'in', ids).execute();
    const at = new Map(stored.map((r) => [r.id, Number(r.timestamp)]));
    const weekAgo = at.get(ids[0] as string) as number;
    assert.ok(weekAgo >= sent - OFFLINE_WINDOW_MS && weekAgo <= Date.now() - OFFLINE_WINDOW_MS, 'before the window: its start, a week back');
    assert.ok((at.get(ids[1] as string) as number) <= Date.now() && (at.get(ids[1] as string) as number) >= sent, 'after now: now');
    assert.equal(at.get(ids[2] as string), Date.parse(times[2] as string), 'within the week, even before the token: as sent');
  });

  test('7. an action is dated by the click it carries (an offline outbox sends it later)', async () => {
    const template = await publishedTemplate(server);
    const user = `click-${randomUUID()}`;
    const card = (await send(server, template, [user])).body.cards[0].cardInstanceId;
    // A token issued two hours ago, as a host backend signs them with the end-user secret.
    const secret = (await server.platform.services.store.db.selectFrom('settings').select('value').where('key', '=', 'jwt_secret').executeTakeFirstOrThrow()).value;
    const issued = Math.floor(Date.now() / 1000) - 7200;
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(user).setIssuedAt(issued).setExpirationTime(issued + 86_400).sign(new TextEncoder().encode(secret));
    const clicked = new Date(Date.now() - 3 * 3600_000).toISOString(); // before the token was issued
    const res = await server.api('POST', `/v1/sdk/cards/${card}/actions`, { id: randomUUID(), type: 'dismiss', at: clicked }, token);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const event = (await server.api('GET', `/v1/analytics/events?cardInstanceId=${card}&analyticsEvent=card-dismissed`)).body.data[0];
    assert.equal(event.timestamp, clicked);
    const other = (await send(server, template, [user])).body.cards[0].cardInstanceId;
    const dismissing = Date.now();
    await server.api('POST', `/v1/sdk/cards/${other}/actions`, { id: randomUUID(), type: 'dismiss', at: '2001-01-01T00:00:00Z' }, token);
    const clamped = Date.parse((await server.api('GET', `/v1/analytics/events?cardInstanceId=${other}&analyticsEvent=card-dismissed`)).body.data[0].timestamp);
    assert.ok(clamped >= dismissing - OFFLINE_WINDOW_MS - 1000 && clamped <= Date.now() - OFFLINE_WINDOW_MS, 'before the window: a week back');
  });

  test('8. short secrets are refused at start; failed token requests are throttled per address', async () => {
    assert.throws(() => readConfig(['--bootstrap-key', 'a'], {}), /--bootstrap-key \(BOOTSTRAP_KEY\) must be at least 32 characters/);
    assert.throws(() => readConfig([], { JWT_SECRET: 'x' }), /JWT_SECRET must be at least 32 characters/);
    assert.doesNotThrow(() => readConfig([], { JWT_SECRET: 'y'.repeat(32), BOOTSTRAP_KEY: 'z'.repeat(32) }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'packages/card-stream-server/src/main.ts', '--memory', '--port', '0', '--bootstrap-key', 'a'], { env: { ...process.env, DATABASE_URL: '' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    assert.equal(await new Promise((resolve) => child.on('exit', resolve)), 2);
    assert.match(stderr, /--bootstrap-key/);

    const throttled = await startServer(store.options);
    try {
      const token = (secret: string) =>
        fetch(`${throttled.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'bootstrap', client_secret: secret }) });
      for (let i = 0; i < 20; i++) assert.equal((await token(`wrong-${i}`)).status, 401);
      const blocked = await token(BOOTSTRAP_KEY);
      assert.equal(blocked.status, 429, 'even the right secret waits');
      assert.ok(Number(blocked.headers.get('retry-after')) > 0);
    } finally {
      await throttled.close();
    }
  });

  test('9. ids and names are own keys: "constructor" is no subview and no variable', async () => {
    const before = await tableCounts(server);
    for (const subviewId of ['constructor', '__proto__', 'toString']) {
      const res = await server.api('POST', '/v1/card-templates', {
        name: 'proto',
        definition: { blocks: [{ type: 'button', buttons: [{ id: 'b', label: 'Open', action: { type: 'subview', subviewId } }] }] },
      });
      assert.equal(res.status, 400, subviewId);
      assert.equal(res.body.error.code, 'unknown_subview');
    }
    const template = await publishedTemplate(server, { definition: { blocks: [{ type: 'headline', content: 'Hi {{constructor}} {{toString}}' }] } });
    const missing = await send(server, template, ['proto-user'], { variables: {} });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.code, 'missing_variables');
    assert.match(missing.body.error.message, /constructor, toString/);
    const channel = (await server.api('POST', '/api/v1/channels', { name: 'proto' })).body.id;
    const card = (await server.api('POST', `/api/v1/channels/${channel}/cards`, { blocks: [{ type: 'headline', id: 'h', content: 'x' }] })).body.id;
    const patched = await server.api('PATCH', `/api/v1/channels/${channel}/cards/${card}`, '{"blocks":[{"id":"h","patch":{"__proto__":{"content":"polluted"}}}]}');
    assert.equal(patched.status, 400);
    const after = await tableCounts(server);
    assert.deepEqual({ ...after, card_templates: before.card_templates, channels: before.channels, channel_cards: before.channel_cards }, before);
  });

  test('10. deep JSON and bad Basic credentials are clear 4xx, never a 500', async () => {
    const before = await tableCounts(server);
    const deep = nested(5000);
    const template = await publishedTemplate(server);
    const user = `deep-${randomUUID()}`;
    const card = (await send(server, template, [user])).body.cards[0].cardInstanceId;
    const token = await endUserToken(server, user);
    const counted = await tableCounts(server);
    for (const [path, body, auth] of [
      ['/v1/card-templates', `{"name":"deep","definition":{"blocks":[{"type":"headline","content":"x"}],"deep":${deep}}}`, BOOTSTRAP_KEY],
      [`/v1/action-flows/${template}/start`, `{"flows":[{"target":{"type":"user","targetUserIds":["u"]},"payload":{"metadata":{"deep":${deep}}}}]}`, BOOTSTRAP_KEY],
      [`/v1/sdk/cards/${card}/actions`, `{"id":"${randomUUID()}","type":"complete","payload":${deep}}`, token],
      ['/v1/sdk/events', `{"events":[{"id":"${randomUUID()}","analyticsEvent":"sdk-initialized","timestamp":"${new Date().toISOString()}","properties":${deep}}]}`, token],
    ] as const) {
      const res = await server.api('POST', path, body, auth);
      assert.equal(res.status, 400, path);
      assert.equal(res.body.error.code, 'too_deep', path);
    }
    assert.deepEqual(await tableCounts(server), counted);
    const basic = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('%:%').toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    assert.equal(basic.status, 401);
    assert.equal(((await basic.json()) as { error: { code: string } }).error.code, 'invalid_client');
    assert.ok((before.cards as number) <= (counted.cards as number));
  });
});

describe('a second server on a held data directory', () => {
  test('exits at once with an error naming the directory; the first keeps running', async () => {
    const fresh = await freshStore('sqlite');
    const dataDir = (fresh.options as { dataDir: string }).dataDir;
    const start = () =>
      spawn(process.execPath, ['--import', 'tsx', 'packages/card-stream-server/src/main.ts', '--port', '0', '--data-dir', dataDir, '--no-demo'], {
        env: { ...process.env, DATABASE_URL: '', BOOTSTRAP_KEY: '' },
      });
    const first = start();
    try {
      const url = await new Promise<string>((resolve) => {
        let out = '';
        first.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1] as string);
        });
      });
      const second = start();
      let stderr = '';
      second.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const started = Date.now();
      const code = await new Promise((resolve) => second.on('exit', resolve));
      assert.equal(code, 1);
      assert.ok(Date.now() - started < 10_000);
      assert.match(stderr, new RegExp(`${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another card-stream server`));
      assert.equal((await fetch(`${url}/openapi.json`)).status, 200, 'the first server is unharmed');
    } finally {
      first.kill('SIGKILL');
      await new Promise((resolve) => first.on('exit', resolve));
    }
    // The lock went with the killed process: a new server starts on the directory.
    const third = start();
    const listening = await new Promise<boolean>((resolve) => {
      third.stdout.on('data', (chunk: Buffer) => /listening on/.test(chunk.toString()) && resolve(true));
      third.on('exit', () => resolve(false));
    });
    third.kill('SIGTERM');
    assert.ok(listening, 'a crash releases the directory');
    await fresh.drop();
  });
});

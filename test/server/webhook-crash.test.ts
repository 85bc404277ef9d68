// Webhooks after a crash (issue 16): kill -9 the server while a batch is being delivered,
// start it again, and deliveries resume within 5 s; at most the batch in flight arrives
// twice, and every event carries the stable id receivers de-duplicate on.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freshStore, sleep, STORE_KINDS } from './harness.js';

const KEY = 'crash-test-bootstrap-key-of-32-characters';

function startMain(env: Record<string, string>): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/card-stream-server/src/main.ts', '--port', '0', '--no-demo'], {
    env: { ...process.env, DATABASE_URL: '', DATA_DIR: '', WEBHOOK_ALLOW_PRIVATE: '1', BOOTSTRAP_KEY: KEY, LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
  });
  return { child, url };
}

async function api(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

for (const kind of STORE_KINDS) {
  describe(`webhooks after a crash (${kind})`, () => {
    test('kill -9 mid-delivery: a restart resumes within 5 s, sending at most the batch in flight twice', async () => {
      const store = await freshStore(kind);
      const env: Record<string, string> = store.options.kind === 'postgres' ? { DATABASE_URL: store.options.url } : { DATA_DIR: (store.options as { dataDir: string }).dataDir };
      const received: { at: number; ids: string[] }[] = [];
      let inFlight = 0;
      const receiver = createServer((req, res) => {
        let body = '';
        inFlight++;
        req.on('data', (chunk) => (body += chunk));
        req.on('end', () => {
          const ids = (JSON.parse(body) as { events: { id: string }[] }).events.map((e) => e.id);
          received.push({ at: Date.now(), ids });
          // Slow, so a batch is under way when the server is killed.
          setTimeout(() => {
            inFlight--;
            res.end();
          }, 1500);
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      let first: ChildProcess | undefined;
      let second: ChildProcess | undefined;
      try {
        const a = startMain(env);
        first = a.child;
        const url = await a.url;
        const template = (await api(url, 'POST', '/v1/card-templates', { name: 'Crash', definition: { blocks: [{ type: 'headline', content: 'Hi' }] } })).body.id;
        await api(url, 'POST', `/v1/card-templates/${template}/publish`);
        assert.equal((await api(url, 'POST', '/v1/webhooks', { url: hookUrl, events: ['card-published'], secret: 'crash-test-secret' })).status, 201);
        const users = Array.from({ length: 250 }, (_, i) => `crash-${i}`);
        assert.equal((await api(url, 'POST', `/v1/action-flows/${template}/start`, { flows: [{ target: { type: 'user', targetUserIds: users } }] })).status, 201);

        for (let i = 0; i < 200 && inFlight === 0; i++) await sleep(25);
        assert.ok(inFlight > 0, 'a batch is being delivered');
        first.kill('SIGKILL');
        await new Promise((resolve) => first?.once('exit', resolve));
        const deliveredBefore = received.length;

        const b = startMain(env);
        second = b.child;
        await b.url;
        const restarted = Date.now();
        for (let i = 0; i < 400 && received.length === deliveredBefore; i++) await sleep(25);
        const resumedAfter = (received[deliveredBefore]?.at ?? Infinity) - restarted;
        assert.ok(resumedAfter < 5000, `deliveries resumed ${resumedAfter} ms after the restart`);

        const all = () => received.flatMap((r) => r.ids);
        for (let i = 0; i < 600 && new Set(all()).size < 250; i++) await sleep(50);
        assert.equal(new Set(all()).size, 250, 'every event arrives');
        const repeats = all().length - new Set(all()).size;
        assert.ok(repeats <= 100, `${repeats} events arrived twice (at most the batch in flight)`);
      } finally {
        first?.kill('SIGKILL');
        second?.kill('SIGTERM');
        if (second) await new Promise((resolve) => second?.once('exit', resolve));
        receiver.close();
        await store.drop();
      }
    });
  });
}

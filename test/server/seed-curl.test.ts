// The curl examples of seeds/000 (Cards API guide), run as written against the real
// server entry point (the one `npm start` runs), with the base URL http://127.0.0.1:8787/v1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);
const TOKEN = 'seed-curl-key-at-least-32-characters-long';

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const probe = createServer().once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });

async function curl(args: string[]) {
  const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', ...args]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut) || 'null') };
}

describe('seed 000 curl examples', () => {
  let child: ChildProcess;
  let base = 'http://127.0.0.1:8787/v1';

  before(async () => {
    // 8787 is the documented port; if something else holds it here, use a free one.
    const port = (await portFree(8787)) ? 8787 : 0;
    child = spawn(process.execPath, ['--import', 'tsx', 'packages/card-stream-server/src/main.ts', '--memory', '--port', String(port), '--bootstrap-key', TOKEN, '--no-demo'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1] as string);
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    base = `${url}/v1`;
    if (port === 0) console.log(`# port 8787 was taken; using ${url}`);
  });
  after(() => {
    child.kill('SIGTERM');
  });

  test('retrieve, dismiss by lifecycleId, cancel by cardTemplateId with multiple=1, complete with a JSON payload', async () => {
    const auth = `Authorization: Bearer ${TOKEN}`;
    const template = await curl(['-X', 'POST', `${base}/card-templates`, '--header', 'Content-Type: application/json', '--header', auth,
      '-d', JSON.stringify({ name: 'My card', definition: { blocks: [{ type: 'headline', content: 'Hello {{name}}' }] } })]);
    assert.equal(template.status, 201);
    const templateId = template.body.id;
    assert.equal((await curl(['-X', 'POST', `${base}/card-templates/${templateId}/publish`, '--header', auth])).status, 200);
    const sent = await curl(['-X', 'POST', `${base}/action-flows/${templateId}/start`, '--header', 'Content-Type: application/json', '--header', auth,
      '-d', JSON.stringify({ flows: [{ target: { type: 'user', targetUserIds: ['123', '123b', '123c'] }, payload: { variables: { name: 'John Smith' } } }] })]);
    assert.equal(sent.status, 201);

    const retrieved = await curl(['-X', 'GET', `${base}/cards?userId=123&status=active`, '--header', auth]);
    assert.equal(retrieved.status, 200);
    assert.equal(retrieved.body.data.length, 1);
    assert.equal(retrieved.body.data[0].userId, '123');
    assert.equal(retrieved.body.data[0].cardTemplateName, 'My card');
    assert.deepEqual(retrieved.body.data[0].payload.detail, { name: 'John Smith' });

    const lifecycleId = retrieved.body.data[0].lifecycleId;
    const dismissed = await curl(['-X', 'PUT', `${base}/cards/dismiss?lifecycleId=${lifecycleId}`, '--header', 'Content-Type:application/json', '--header', auth]);
    assert.equal(dismissed.status, 200);
    assert.deepEqual(dismissed.body.summary, { total: 1, updated: 1 });

    const second = sent.body.cards[1].lifecycleId;
    const completed = await curl(['-X', 'PUT', `${base}/cards/complete?lifecycleId=${second}`, '--header', 'Content-Type:application/json', '--header', auth,
      '-d', '{"quantity": 2, "size": "large"}']);
    assert.equal(completed.status, 200);
    assert.equal(completed.body.data[0].action, 'complete');
    assert.deepEqual(completed.body.summary, { total: 1, updated: 1 });

    const cancelled = await curl(['-X', 'PUT', `${base}/cards/cancel?cardTemplateId=${templateId}&multiple=1`, '--header', 'Content-Type:application/json', '--header', auth]);
    assert.equal(cancelled.status, 200);
    assert.deepEqual(cancelled.body.summary, { total: 1, updated: 1 });
    assert.equal(cancelled.body.data[0].userId, '123c');
  });
});

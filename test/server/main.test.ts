// The server entry point: the generated credential is printed once, SIGTERM closes cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function start(dataDir: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/card-stream-server/src/main.ts', '--port', '0', '--data-dir', dataDir, '--no-demo'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, DATABASE_URL: '', BOOTSTRAP_KEY: '' },
  });
  let out = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
  });
  const stop = () =>
    new Promise<number | string | null>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? signal));
      child.kill('SIGTERM');
    });
  return { ready, stop, output: () => out };
}

test('first start prints a working credential once; SIGTERM exits 0', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cs-main-'));
  try {
    const first = start(dir);
    const url = await first.ready;
    const secret = /clientSecret:\s+(\S+)/.exec(first.output())?.[1];
    assert.ok(secret, 'the secret is printed');
    const res = await fetch(`${url}/v1/credentials`, { headers: { authorization: `Bearer ${secret}`, connection: 'close' } });
    assert.equal(res.status, 200);
    assert.equal(await first.stop(), 0);

    const second = start(dir);
    await second.ready;
    assert.doesNotMatch(second.output(), /clientSecret/);
    assert.equal(await second.stop(), 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// The server as its own process (`main.ts`), for tests that kill it with SIGKILL and start it
// again on the same store.
import { spawn, type ChildProcess } from 'node:child_process';
import type { TestStore } from './harness.js';

export const PROCESS_KEY = 'crash-test-bootstrap-key-of-32-characters';

/** The environment that points a server process at a test store. */
export function storeEnv(store: TestStore): Record<string, string> {
  return store.options.kind === 'postgres' ? { DATABASE_URL: store.options.url } : { DATA_DIR: (store.options as { dataDir: string }).dataDir };
}

export function startMain(env: Record<string, string>): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/card-stream-server/src/main.ts', '--port', '0', '--no-demo'], {
    env: { ...process.env, DATABASE_URL: '', DATA_DIR: '', WEBHOOK_ALLOW_PRIVATE: '1', BOOTSTRAP_KEY: PROCESS_KEY, LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return { child, url: listeningUrl(child, 'the server') };
}

/** The URL a server process prints (`listening on <url>`) once ready; rejects if it exits first. */
export function listeningUrl(child: ChildProcess, label: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`${label} exited with ${code}: ${out}`)));
  });
}

export async function killHard(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

export async function stopGently(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export async function processApi(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${PROCESS_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** A published one-headline template on the server at `url`; its id. */
export async function publishedTemplateAt(url: string): Promise<string> {
  const template = (await processApi(url, 'POST', '/v1/card-templates', { name: 'Crash', definition: { blocks: [{ type: 'headline', content: 'Hi' }] } })).body.id as string;
  await processApi(url, 'POST', `/v1/card-templates/${template}/publish`);
  return template;
}

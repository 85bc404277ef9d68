// The platform as the end-to-end tests run it: `npm start`'s script (or the server alone) in a
// process of its own on a free port, and its API with a bootstrap key.
import { spawn, type ChildProcess } from 'node:child_process';
import { listeningUrl } from '../server/processes.js';

export interface RunningPlatform {
  url: string;
  process: ChildProcess;
  /** Calls the platform API with the key; the parsed JSON body (undefined when empty). */
  api(method: string, path: string, body?: unknown): Promise<any>;
}

/** `script`: scripts/start.mjs (platform and demo, as `npm start`) or the server's main. */
export async function startPlatform(key: string, script = 'scripts/start.mjs', args: string[] = []): Promise<RunningPlatform> {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, script, '--memory', '--port', '0', '--bootstrap-key', key, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'warn' },
  });
  const url = await listeningUrl(child, script);
  return {
    url,
    process: child,
    async api(method, path, body) {
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return text ? JSON.parse(text) : undefined;
    },
  };
}

// Webhook drain: BENCH_WEBHOOK_EVENTS card-published events (default 100,000) waiting for a new
// webhook, delivered to a receiver on this machine in batches of 100, with the API probed
// meanwhile. Goal: no request waits more than 100 ms while the backlog drains.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { freshStore } from '../test/server/harness.js';
import { PLATFORM_MAIN, probeApi, spawnServer, stallFigure } from './support.js';
import { record } from './results.js';

const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 100_000);
const KEY = 'bench-bootstrap-key-at-least-32-characters';
const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
const area = 'webhook drain (SQLite on disk)';

export async function run(): Promise<void> {
  const fresh = await freshStore('sqlite');
  if (fresh.options.kind !== 'sqlite') throw new Error('unreachable');
  let delivered = 0;
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      delivered += (JSON.parse(body) as { events: unknown[] }).events.length;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const server = await spawnServer(PLATFORM_MAIN, ['--data-dir', fresh.options.dataDir, '--port', '0', '--bootstrap-key', KEY, '--no-demo'], { WEBHOOK_ALLOW_PRIVATE: '1' });
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return (await res.json()) as any;
  };
  try {
    const template = (await api('POST', '/v1/card-templates', { name: 'Drain', definition: { blocks: [{ type: 'headline', content: 'Hi' }] } })).id;
    await api('POST', `/v1/card-templates/${template}/publish`);
    // The backlog: EVENTS cards sent (10,000 a request) right after the webhook is made;
    // delivery starts meanwhile, and the drain is timed from the last send.
    await api('POST', '/v1/webhooks', { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['card-published'], secret: 'bench-webhook-secret' });
    const paused = performance.now();
    for (let sent = 0; sent < EVENTS; sent += 10_000) {
      const users = Array.from({ length: Math.min(10_000, EVENTS - sent) }, (_, i) => `drain-${sent + i}`);
      await api('POST', `/v1/action-flows/${template}/start`, { flows: [{ target: { type: 'user', targetUserIds: users } }] });
    }
    // The probe's route warmed with real cards first: a process's first card read compiles its
    // serializer's checks of the block types (100-150 ms here, once), which is not the drain's.
    for (let i = 0; i < 20; i++) await (await fetch(`${server.url}/v1/cards?userId=drain-${i}`, { headers })).arrayBuffer();
    console.log(`  sent ${EVENTS} cards in ${((performance.now() - paused) / 1000).toFixed(1)} s`);
    const reads = probeApi(() => fetch(`${server.url}/v1/cards?userId=drain-${Math.floor(Math.random() * EVENTS)}`, { headers }));
    const started = performance.now();
    while (delivered < EVENTS && performance.now() - started < 600_000) await new Promise((resolve) => setTimeout(resolve, 200));
    const seconds = (performance.now() - started) / 1000;
    const readTimes = await reads.stop();
    record({ area, what: `${delivered.toLocaleString('en')} events delivered in batches of 100`, value: `${seconds.toFixed(1)} s (${(delivered / seconds).toFixed(0)} events/s)`, goal: `all ${EVENTS.toLocaleString('en')}`, met: delivered >= EVENTS });
    record({ area, what: 'GET /v1/cards?userId while it drains', ...stallFigure(readTimes), goal: 'no request waits > 100 ms' });
  } finally {
    await server.stop();
    receiver.close();
    await fresh.drop();
  }
}

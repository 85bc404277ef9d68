// web-test-runner plugin: the SDK tests' real platform. It starts
// `node --import tsx packages/card-stream-server/src/main.ts --memory --port 0 --bootstrap-key … --no-demo`
// when the test server starts, and serves helpers to the browser under /__cs/:
//   GET  /__cs/info                     { apiUrl } (or { error } when the platform did not start), and
//                                       fuzzSeeds, fuzzSteps: the FUZZ_SEEDS and FUZZ_STEPS variables if set
//   ANY  /__cs/api/<path>               <path> on the platform with the bootstrap key (the
//                                       platform API sends no CORS headers, so tests go through here)
//   POST /__cs/network                  a new switchable TCP path to the platform → { id, url }
//   POST /__cs/network/<id>/<mode>      mode: online | offline | no-websocket | blackhole | hold-http
//                                       | hold-http-no-websocket (blackhole: connections stay open,
//                                       nothing gets through; hold-http: HTTP answers wait until a
//                                       mode that is not hold-http, sockets go on, or with
//                                       -no-websocket are refused) → { mode, held: answer chunks waiting }
//   GET  /__cs/csp-host.html?api=URL    a host page with a strict Content-Security-Policy
//   GET  /__cs/iife-host.html?api=URL&user=ID  the CONTRACT §8 snippet with packages/card-stream/dist/card-stream.iife.js
//   GET  /__cs/session?user=ID          a host backend's token URL: { token } for ID (text with &as=text)
//   GET  /__cs/no-script-host.html?api=URL&user=ID  the IIFE and a <card-stream session-url> under
//                                       a strict CSP (script-src 'self'), with no script of its own
//   GET  /__cs/media/silence.wav        0.3 s of silence, for video blocks (a <video> plays audio too)
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
export const BOOTSTRAP_KEY = 'sdk-test-bootstrap-key-at-least-32-chars';

/** A TCP path to the platform that tests can cut (offline) or use to refuse WebSocket upgrades. */
class Network {
  constructor(target) {
    this.target = target;
    this.mode = 'online';
    this.sockets = new Set();
    /** [client, chunk] of HTTP answers held back (hold-http), in order. */
    this.held = [];
    this.server = net.createServer((client) => this.accept(client));
  }

  listen() {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve(this.server.address().port)));
  }

  track(socket) {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  accept(client) {
    this.track(client);
    if (this.mode === 'offline') return client.destroy();
    client.once('data', (first) => {
      const head = first.toString('latin1');
      if (this.mode === 'offline') return client.destroy();
      const upgrade = /\r\nupgrade:\s*websocket/i.test(head);
      if (this.mode.endsWith('no-websocket') && upgrade) {
        client.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        return;
      }
      const upstream = net.connect(this.target.port, this.target.host);
      this.track(upstream);
      if (this.mode !== 'blackhole') upstream.write(first);
      // Forwarded chunk by chunk, so a blackhole can swallow traffic on open connections.
      client.on('data', (chunk) => this.mode !== 'blackhole' && upstream.write(chunk));
      upstream.on('data', (chunk) => {
        if (this.mode.startsWith('hold-http') && !upgrade) this.held.push([client, chunk]);
        else if (this.mode !== 'blackhole') client.write(chunk);
      });
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
    });
  }

  setMode(mode) {
    this.mode = mode;
    if (!mode.startsWith('hold-http')) for (const [client, chunk] of this.held.splice(0)) client.write(chunk);
    // Cutting the network drops what is open too (sockets, keep-alive connections).
    if (mode === 'offline' || mode === 'no-websocket') for (const socket of [...this.sockets]) socket.destroy();
  }

  close() {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function cspPage(api) {
  const policy = `default-src 'self'; connect-src 'self' ${api} ${api.replace(/^http/, 'ws')}; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; object-src 'none'`;
  const body = `<!doctype html>
<html><head><meta charset="utf-8"><title>CSP host</title></head>
<body><card-stream id="cs" stream="default"></card-stream>
<script type="module" src="/test/sdk/support/csp-listen.ts"></script>
<script type="module" src="/test/sdk/support/csp-host.ts"></script>
</body></html>`;
  return { policy, body };
}

/** The README's embed for a strict CSP: the script file and the element, no script of the page's own. */
function noScriptPage(api, user) {
  const policy = `default-src 'self'; connect-src 'self' ${api} ${api.replace(/^http/, 'ws')}; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; object-src 'none'`;
  const body = `<!doctype html>
<html><head><meta charset="utf-8"><title>No-script host</title>
<script src="/packages/card-stream/dist/card-stream.iife.js"></script></head>
<body><card-stream stream="default" api-base="${api}" session-url="/__cs/session?user=${encodeURIComponent(user)}"></card-stream></body></html>`;
  return { policy, body };
}

/** `plugin` starts and stops the platform; `middleware` serves the /__cs/ helpers. */
/** A mono 8 kHz 16-bit WAV of `seconds` of silence. */
function silenceWav(seconds) {
  const samples = Math.round(8000 * seconds);
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(16000, 28); // bytes per second
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  return wav;
}

function iifePage(api, user) {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>IIFE host</title>
<script src="/packages/card-stream/dist/card-stream.iife.js"></script></head>
<body><card-stream stream="default"></card-stream>
<script>
  const el = document.querySelector('card-stream');
  CardStream.configure({
    apiBase: ${JSON.stringify(api)},
    sessionDelegate: () => fetch('/__cs/api/v1/auth/token', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: ${JSON.stringify(user)} }) }).then((r) => r.json()).then((b) => b.token),
  });
  const timer = setInterval(() => {
    const ids = [...el.shadowRoot.querySelectorAll('[part~="card"]')].map((c) => c.dataset.cardId);
    if (!ids.length) return;
    clearInterval(timer);
    parent.postMessage({ type: 'iife-report', ids, api: Object.keys(CardStream).sort(),
      defined: ['card-stream', 'card-count', 'cs-card'].map((t) => !!customElements.get(t)) }, '*');
  }, 100);
</script></body></html>`;
}

export function platformSupport() {
  let child;
  let apiUrl;
  let startError;
  const networks = new Map();
  let nextNetwork = 0;

  const plugin = {
    name: 'card-stream-platform',
    async serverStart() {
      child = spawn(
        process.execPath,
        ['--import', 'tsx', 'packages/card-stream-server/src/main.ts', '--memory', '--port', '0', '--host', '127.0.0.1', '--bootstrap-key', BOOTSTRAP_KEY, '--no-demo'],
        { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'error' } },
      );
      // Also when the runner exits without serverStop (a crash, Ctrl-C).
      process.once('exit', () => child?.kill('SIGTERM'));
      let output = '';
      apiUrl = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 30_000);
        const onData = (chunk) => {
          output += chunk;
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', (chunk) => (output += chunk));
        child.on('exit', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
      if (!apiUrl) {
        startError = `The platform did not start:\n${output.slice(-2000)}`;
        console.error(startError);
      }
    },
    async serverStop() {
      for (const network of networks.values()) network.close();
      child?.kill('SIGTERM');
    },
  };

  const middleware = async (ctx, next) => {
    if (!ctx.path.startsWith('/__cs/')) return next();
    if (ctx.path === '/__cs/csp-host.html') {
      const { policy, body } = cspPage(ctx.query.api ?? '');
      ctx.set('content-security-policy', policy);
      ctx.type = 'html';
      ctx.body = body;
      return;
    }
    if (ctx.path === '/__cs/media/silence.wav') {
      ctx.type = 'audio/wav';
      ctx.body = silenceWav(0.3);
      return;
    }
    if (ctx.path === '/__cs/no-script-host.html') {
      const { policy, body } = noScriptPage(ctx.query.api ?? '', ctx.query.user ?? '');
      ctx.set('content-security-policy', policy);
      ctx.type = 'html';
      ctx.body = body;
      return;
    }
    if (ctx.path === '/__cs/session') {
      ctx.set('cache-control', 'no-store');
      const res = await fetch(`${apiUrl}/v1/auth/token`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BOOTSTRAP_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: ctx.query.user ?? '' }),
      });
      const { token } = await res.json();
      if (ctx.query.as === 'text') {
        ctx.type = 'text/plain';
        ctx.body = token;
      } else ctx.body = { token };
      return;
    }
    if (ctx.path === '/__cs/iife-host.html') {
      ctx.type = 'html';
      ctx.body = iifePage(ctx.query.api ?? '', ctx.query.user ?? '');
      return;
    }
    ctx.set('cache-control', 'no-store');
    if (ctx.path === '/__cs/info') {
      const fuzz = { fuzzSeeds: process.env.FUZZ_SEEDS, fuzzSteps: process.env.FUZZ_STEPS };
      ctx.body = { ...(apiUrl ? { apiUrl } : { error: startError ?? 'not started' }), ...fuzz };
      return;
    }
    if (ctx.path.startsWith('/__cs/api/')) {
      const path = ctx.url.slice('/__cs/api'.length);
      const body = ['GET', 'HEAD'].includes(ctx.method) ? undefined : await readBody(ctx.req);
      const res = await fetch(apiUrl + path, {
        method: ctx.method,
        headers: { authorization: `Bearer ${BOOTSTRAP_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body || undefined,
      });
      ctx.status = res.status;
      ctx.set('content-type', res.headers.get('content-type') ?? 'application/json');
      ctx.body = await res.text();
      return;
    }
    if (ctx.path === '/__cs/network' && ctx.method === 'POST') {
      const target = new URL(apiUrl);
      const network = new Network({ host: target.hostname, port: Number(target.port) });
      const port = await network.listen();
      const id = String(nextNetwork++);
      networks.set(id, network);
      ctx.body = { id, url: `http://127.0.0.1:${port}` };
      return;
    }
    const match = /^\/__cs\/network\/(\d+)\/(online|offline|no-websocket|blackhole|hold-http|hold-http-no-websocket)$/.exec(ctx.path);
    if (match && ctx.method === 'POST' && networks.has(match[1])) {
      const network = networks.get(match[1]);
      network.setMode(match[2]);
      ctx.body = { mode: match[2], held: network.held.length };
      return;
    }
    ctx.status = 404;
    ctx.body = { error: `no test helper at ${ctx.method} ${ctx.path}` };
  };

  return { plugin, middleware };
}

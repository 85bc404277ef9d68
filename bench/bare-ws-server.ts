// The floor for the realtime bench: a bare `ws` server with no store, no auth and no
// framework. POST /send?to=<client id> sends the body to that client; ?to=all broadcasts.
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

const clients = new Map<string, WebSocket>();
const server = createServer((req, res) => {
  const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? '';
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    if (to === 'all') for (const ws of clients.values()) ws.send(body);
    else clients.get(to)?.send(body);
    res.writeHead(201).end();
  });
});
const wss = new WebSocketServer({ server });
wss.on('connection', (ws, req) => {
  const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
  clients.set(id, ws);
  ws.on('close', () => clients.delete(id));
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
});
process.on('SIGTERM', () => process.exit(0));

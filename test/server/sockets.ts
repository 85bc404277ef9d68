// A WebSocket client for tests of the SDK socket: keeps every message it receives and
// waits for the ones a test expects.
import WebSocket from 'ws';
import type { ServerMessage } from '../../packages/protocol/src/sdk.js';

export class TestSocket {
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as ServerMessage);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const wake of this.waiters.splice(0)) wake();
    }));
  }

  static async open(baseUrl: string): Promise<TestSocket> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/sdk/socket`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new TestSocket(ws);
  }

  /** Opens a socket and authenticates; resolves with the `ready` message. */
  static async connect(baseUrl: string, token: string, since?: number): Promise<{ socket: TestSocket; ready: Extract<ServerMessage, { type: 'ready' }> }> {
    const socket = await TestSocket.open(baseUrl);
    socket.send({ type: 'auth', token, ...(since === undefined ? {} : { since }) });
    const ready = await socket.waitFor((m) => m.type === 'ready');
    return { socket, ready: ready as Extract<ServerMessage, { type: 'ready' }> };
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The change messages received so far. */
  changes(): Extract<ServerMessage, { type: 'change' }>[] {
    return this.messages.filter((m): m is Extract<ServerMessage, { type: 'change' }> => m.type === 'change');
  }

  /** Waits until some received message satisfies `match`. */
  async waitFor(match: (m: ServerMessage) => boolean, timeoutMs = 5000): Promise<ServerMessage> {
    return this.waitUntil(() => this.messages.find(match), timeoutMs, 'a matching message');
  }

  /** Waits until `count` change messages have arrived. */
  async waitForChanges(count: number, timeoutMs = 5000): Promise<Extract<ServerMessage, { type: 'change' }>[]> {
    return this.waitUntil(() => (this.changes().length >= count ? this.changes() : undefined), timeoutMs, `${count} changes`);
  }

  private async waitUntil<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = check();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.messages.map((m) => m.type))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}

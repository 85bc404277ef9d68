// The socket transport against the real platform: auth in the first message, a full stop
// on auth close codes until a new token, and the client heartbeat noticing a dead socket.
import { expect } from '@open-wc/testing';
import type { AuthCloseCode, ServerMessage } from '../../packages/protocol/src/sdk.js';
import { Session } from '../../packages/card-stream/src/client/session.js';
import { SocketTransport } from '../../packages/card-stream/src/client/socket.js';
import { mintToken, newNetwork, platformUrl, sdkApiAvailable, sleep, uniqueUser, until } from './support/platform.js';

interface Probe {
  messages: ServerMessage[];
  downs: number[];
  authStops: (AuthCloseCode | 4404)[];
  opened: () => number;
  sent: string[];
}

/** A WebSocket class that counts connections and records what the client sends. */
function probeSocket(): { probe: Probe; Impl: typeof WebSocket } {
  let opened = 0;
  const probe: Probe = { messages: [], downs: [], authStops: [], opened: () => opened, sent: [] };
  class Recording extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      opened++;
    }
    override send(data: string): void {
      probe.sent.push(data);
      super.send(data);
    }
  }
  return { probe, Impl: Recording };
}

const fast = { baseDelay: 50, maxDelay: 200, pingAfter: 400, pongWithin: 400 };

describe('e2e: socket transport', function () {
  const open: SocketTransport[] = [];
  before(async function () {
    if (!(await sdkApiAvailable())) this.skip();
  });
  afterEach(() => open.splice(0).forEach((s) => s.stop()));

  function connect(base: string, delegate: () => Promise<string>, since?: number) {
    const { probe, Impl } = probeSocket();
    const socket = new SocketTransport(
      `${base.replace(/^http/, 'ws')}/v1/sdk/socket`,
      new Session(delegate),
      {
        hello: (token) => ({ type: 'auth', token, ...(since === undefined ? {} : { since }) }),
        message: (m) => probe.messages.push(m),
        down: (code) => probe.downs.push(code),
        authStopped: (code) => probe.authStops.push(code),
      },
      fast,
      Impl,
    );
    open.push(socket);
    socket.start();
    return { socket, probe };
  }

  it('authenticates in the first message (the token never in the URL)', async () => {
    const user = uniqueUser('sock');
    const { probe } = connect(await platformUrl(), () => mintToken(user), 0);
    const ready = await until(() => probe.messages.find((m) => m.type === 'ready'), 'ready');
    expect(ready).to.include({ userId: user });
    const first = JSON.parse(probe.sent[0]!);
    expect(first.type).to.equal('auth');
    expect(first.since).to.equal(0);
  });

  it('stops on an invalid token (4401) and connects again only when the delegate gives a new token', async () => {
    const user = uniqueUser('sock-auth');
    let token = 'not.a.jwt';
    const { socket, probe } = connect(await platformUrl(), async () => token);
    await until(() => probe.authStops.length === 1, 'auth stop');
    expect(probe.authStops[0]).to.equal(4401);
    await sleep(1500);
    expect(probe.opened(), 'no retry with the same token').to.equal(1);
    token = await mintToken(user);
    socket.wake();
    await until(() => probe.messages.some((m) => m.type === 'ready'), 'ready with the new token');
    expect(probe.opened()).to.equal(2);
  });

  it('hands a refreshed token to the open socket before the old one expires', async function () {
    this.timeout(30_000);
    const user = uniqueUser('sock-refresh');
    // An 8 s token counts as stale a quarter of its life before expiry: refreshed after 6 s,
    // before the platform would close the socket with 4419.
    const { socket, probe } = connect(await platformUrl(), () => mintToken(user, 8));
    await until(() => socket.live, 'live');
    await until(() => probe.messages.some((m) => m.type === 'token-accepted'), 'token-accepted', 20_000);
    const handed = probe.sent.map((raw) => JSON.parse(raw)).filter((m) => m.type === 'token');
    expect(handed.length).to.equal(1);
    expect(handed[0].token).to.not.equal(JSON.parse(probe.sent[0]!).token);
    expect(probe.opened(), 'the same socket').to.equal(1);
    await new Promise((r) => setTimeout(r, 3000));
    expect(socket.live, 'still open after the first token expired').to.equal(true);
    expect(probe.authStops).to.deep.equal([]);
  });

  it('pings after silence, and replaces a socket that stopped answering', async () => {
    const user = uniqueUser('sock-heartbeat');
    const network = await newNetwork();
    const { socket, probe } = connect(network.url, () => mintToken(user));
    await until(() => socket.live, 'live');
    await until(() => probe.sent.some((s) => JSON.parse(s).type === 'ping'), 'client ping', 3000);
    await until(() => probe.messages.some((m) => m.type === 'pong'), 'pong', 3000);
    expect(probe.downs).to.deep.equal([]);

    await network.set('blackhole');
    await until(() => probe.downs.length > 0, 'dead socket noticed', 4000);
    await network.set('online');
    await until(() => socket.live && probe.opened() >= 2, 'connected again', 8000);
  });
});

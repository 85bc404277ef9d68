// One SDK socket (docs/protocol.md): authentication in the first message, token refresh,
// heartbeats, and delivery of the user's changes — each sequence number once, in order,
// whatever path it arrives by; a gap is filled from the change log before going on.
import type { WebSocket, RawData } from 'ws';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { CLOSE_CODES, ClientMessageSchema, type ClientMessage, type ServerMessage } from '../../../protocol/src/sdk.js';
import type { TokenService } from '../auth/tokens.js';
import type { ChangeLog, LoggedChange } from '../cards/change-log.js';
import type { CardRow } from '../cards/row.js';
import { sdkCardJson } from '../end-user/sdk-card.js';
import { iso } from '../time.js';

/** A change ready to send: its JSON is built once and shared by every socket of the user. */
export interface OutgoingChange {
  seq: number;
  json: string;
}

export interface SessionOptions {
  authTimeoutMs: number;
  /** Bytes waiting to be sent beyond which a socket is closed as too slow. */
  maxBufferedBytes: number;
  /** Changes replayed one by one before a reload is cheaper. */
  maxReplay: number;
  /** Messages a client may send at once, and per second after that; beyond, 4029. */
  messageBurst: number;
  messagesPerSecond: number;
}

export interface SessionHost {
  tokens: TokenService;
  log: ChangeLog;
  options: SessionOptions;
  register(session: SocketSession): void;
  unregister(session: SocketSession): void;
  /** Starts sending the channel's changes to `session`; false when there is no such channel. */
  watch(session: SocketSession, channelId: string): Promise<boolean>;
}

const REPLAY_PAGE = 500;
/** Timers cannot wait longer than 2^31-1 ms; a token lives at most 7 days, well below. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function changeJson(change: LoggedChange): string {
  const message: ServerMessage = {
    type: 'change',
    seq: change.seq,
    cardInstanceId: change.card.card_instance_id,
    streamId: change.streamId,
    status: change.status as never,
  };
  const json = JSON.stringify(message);
  // An active card's change always carries its whole row (slimChange keeps it).
  return change.status === 'active' ? `${json.slice(0, -1)},"card":${sdkCardJson(change.card as CardRow, change.status)}}` : json;
}

export class SocketSession {
  userId: string | undefined;
  /** Set instead of `userId` on a socket that watches a channel. */
  channelId: string | undefined;
  /** When the client was last heard from: any message counts. */
  lastSeen = Date.now();
  /** When the hub's heartbeat pings it next; set by the hub. */
  nextPingAt: number | undefined;
  private sentSeq = 0;
  /** True until the starting point is known; deliveries meanwhile wait for the catch-up. */
  private syncing = true;
  private catchingUp = false;
  private catchUpAgain = false;
  private closed = false;
  private inbox: Promise<void> = Promise.resolve();
  /** Messages the client may still send now (a token bucket, refilled every message). */
  private allowance: number;
  private allowanceAt = Date.now();
  private readonly authTimer: NodeJS.Timeout;
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly host: SessionHost,
  ) {
    this.allowance = host.options.messageBurst;
    this.authTimer = setTimeout(
      () => this.close(CLOSE_CODES.authTimeout, 'Send {"type":"auth","token":…} within 10 seconds.'),
      host.options.authTimeoutMs,
    );
    socket.on('message', (data: RawData, isBinary: boolean) => {
      this.lastSeen = Date.now();
      if (!this.takeAllowance(this.lastSeen)) return this.close(CLOSE_CODES.tooMany, 'Too many messages: reconnect later.');
      // One message at a time, so an `auth` is settled before whatever follows it.
      this.inbox = this.inbox.then(() => this.receive(data, isBinary)).catch(() => this.close(1011, 'Internal error.'));
    });
    socket.on('close', () => this.dispose());
    socket.on('error', () => this.dispose());
  }

  private takeAllowance(now: number): boolean {
    const { messageBurst, messagesPerSecond } = this.host.options;
    this.allowance = Math.min(messageBurst, this.allowance + ((now - this.allowanceAt) / 1000) * messagesPerSecond);
    this.allowanceAt = now;
    if (this.allowance < 1) return false;
    this.allowance -= 1;
    return true;
  }

  /** Local changes of this user, in sequence order. */
  deliver(changes: readonly OutgoingChange[]): void {
    if (this.closed || this.userId === undefined) return;
    if (this.syncing || this.catchingUp) {
      this.catchUpAgain = true;
      return;
    }
    for (const change of changes) {
      if (change.seq <= this.sentSeq) continue;
      if (change.seq !== this.sentSeq + 1) {
        this.startCatchUp();
        return;
      }
      this.send(change.json);
      this.sentSeq = change.seq;
    }
  }

  /** Another server committed this user's changes up to `seq`. */
  notice(seq: number): void {
    if (this.closed || this.userId === undefined || seq <= this.sentSeq) return;
    if (this.syncing) this.catchUpAgain = true;
    else this.startCatchUp();
  }

  /** Re-reads the log, e.g. after notices may have been missed. */
  resync(): void {
    if (!this.closed && this.userId !== undefined && !this.syncing) this.startCatchUp();
  }

  ping(now: number, idleTimeoutMs: number): void {
    if (now - this.lastSeen > idleTimeoutMs) {
      this.close(CLOSE_CODES.heartbeatTimeout, 'No message or pong within the heartbeat timeout.');
      return;
    }
    this.sendMessage({ type: 'ping', t: now });
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.dispose();
    this.socket.close(code, reason.slice(0, 120));
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.authTimer);
    clearTimeout(this.expiryTimer);
    this.host.unregister(this);
  }

  private async receive(data: RawData, isBinary: boolean): Promise<void> {
    if (this.closed) return;
    const message = isBinary ? undefined : parseMessage(data.toString());
    if (!message) return this.close(CLOSE_CODES.malformed, 'Messages are JSON objects with a known "type".');
    if (this.userId === undefined && this.channelId === undefined) {
      if (message.type === 'channel') return this.watch(message.channelId);
      if (message.type !== 'auth') return this.close(CLOSE_CODES.malformed, 'The first message must be {"type":"auth"} or {"type":"channel"}.');
      return this.authenticate(message.token, message.since);
    }
    if (this.channelId !== undefined) {
      if (message.type === 'ping') return this.sendMessage(message.t === undefined ? { type: 'pong' } : { type: 'pong', t: message.t });
      if (message.type === 'pong') return;
      return this.close(CLOSE_CODES.malformed, 'A channel socket only sends ping and pong.');
    }
    switch (message.type) {
      case 'channel':
      case 'auth':
        return this.close(CLOSE_CODES.malformed, 'Already authenticated: send {"type":"token"} to refresh.');
      case 'token':
        return this.refresh(message.token);
      case 'resume':
        this.sentSeq = message.since;
        return this.catchUp();
      case 'ping':
        return this.sendMessage(message.t === undefined ? { type: 'pong' } : { type: 'pong', t: message.t });
      case 'pong':
        return;
    }
  }

  private async watch(channelId: string): Promise<void> {
    clearTimeout(this.authTimer);
    this.channelId = channelId;
    if (!(await this.host.watch(this, channelId))) {
      return this.close(CLOSE_CODES.channelNotFound, 'There is no such channel.');
    }
    this.sendMessage({ type: 'channel-ready', channelId });
  }

  /** A change of the watched channel, as JSON built once for all its viewers. */
  deliverChannel(json: string): void {
    if (!this.closed) this.send(json);
  }

  private async authenticate(token: string, since: number | undefined): Promise<void> {
    const user = await this.host.tokens.verifyEndUserToken(token);
    if (this.closed) return;
    if ('error' in user) return this.refuse(user.error);
    clearTimeout(this.authTimer);
    this.userId = user.userId;
    this.expireAt(user.expiresAt);
    // Registered before reading the latest sequence, so nothing committed meanwhile is missed.
    this.host.register(this);
    const latest = await this.host.log.latest(user.userId);
    if (this.closed) return;
    this.sendMessage({ type: 'ready', userId: user.userId, seq: latest, expiresAt: iso(user.expiresAt) });
    this.sentSeq = since ?? latest;
    this.syncing = false;
    if (since !== undefined || this.catchUpAgain) await this.catchUp();
  }

  private async refresh(token: string): Promise<void> {
    const user = await this.host.tokens.verifyEndUserToken(token);
    if (this.closed) return;
    if ('error' in user) return this.refuse(user.error);
    if (user.userId !== this.userId) {
      return this.close(CLOSE_CODES.userMismatch, 'The new token is for another user: open a new socket.');
    }
    this.expireAt(user.expiresAt);
    this.sendMessage({ type: 'token-accepted', expiresAt: iso(user.expiresAt) });
  }

  private refuse(reason: 'expired' | 'invalid'): void {
    if (reason === 'expired') this.close(CLOSE_CODES.tokenExpired, 'The token has expired: get a new one.');
    else this.close(CLOSE_CODES.tokenInvalid, 'The token is not valid: get a new one.');
  }

  private expireAt(expiresAt: number): void {
    clearTimeout(this.expiryTimer);
    const wait = Math.min(Math.max(expiresAt - Date.now(), 0), MAX_TIMER_MS);
    this.expiryTimer = setTimeout(() => this.refuse('expired'), wait);
  }

  /** A catch-up started outside the inbox: a failure (the store is down) closes the socket,
   * and the client reconnects and resumes rather than missing changes. */
  private startCatchUp(): void {
    this.catchUp().catch(() => this.close(1011, 'Could not read the changes: reconnect and resume.'));
  }

  /** Sends everything after `sentSeq` from the log, until it is current. */
  private async catchUp(): Promise<void> {
    if (this.catchingUp) {
      this.catchUpAgain = true;
      return;
    }
    this.catchingUp = true;
    try {
      do {
        this.catchUpAgain = false;
        await this.replay();
      } while (this.catchUpAgain && !this.closed);
    } finally {
      this.catchingUp = false;
    }
  }

  private async replay(): Promise<void> {
    const userId = this.userId as string;
    for (;;) {
      const result = await this.host.log.since(userId, this.sentSeq, REPLAY_PAGE, this.host.options.maxReplay);
      if (this.closed) return;
      if (result.kind === 'reload') {
        this.sendMessage({ type: 'reload', seq: result.seq });
        this.sentSeq = result.seq;
        return;
      }
      for (const change of result.changes) {
        this.send(changeJson(change));
        this.sentSeq = change.seq;
      }
      if (result.changes.length < REPLAY_PAGE) return;
    }
  }

  private sendMessage(message: ServerMessage): void {
    this.send(JSON.stringify(message));
  }

  private send(json: string): void {
    if (this.closed) return;
    if (this.socket.bufferedAmount > this.host.options.maxBufferedBytes) {
      this.close(CLOSE_CODES.slowConsumer, 'Too many messages waiting: reconnect and resume.');
      return;
    }
    this.socket.send(json);
  }
}

/** Client messages are checked against their schema, compiled once. */
const isClientMessage = TypeCompiler.Compile(ClientMessageSchema);

function parseMessage(text: string): ClientMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isClientMessage.Check(value) ? value : undefined;
}

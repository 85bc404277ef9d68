// The sockets this server holds, by user, and the paths changes reach them by: the
// in-process bus for changes made here, notices from other servers (PostgreSQL), and a
// heartbeat sweep that pings every socket and closes the silent ones.
import type { WebSocket } from 'ws';
import type { TokenService } from '../auth/tokens.js';
import type { CardChange, CardChangeBus } from '../cards/change-bus.js';
import type { ChangeLog, ChangeNotice } from '../cards/change-log.js';
import type { ServerMessage } from '../../../protocol/src/sdk.js';
import { CLOSE_CODES } from '../../../protocol/src/sdk.js';
import type { ChannelEvent, ChannelNotice, ChannelRepository } from '../channels/repository.js';
import { changeJson, SocketSession, type OutgoingChange, type SessionHost, type SessionOptions } from './socket-session.js';

export interface HubOptions extends SessionOptions {
  pingIntervalMs: number;
  /** A socket silent for longer than this is closed. */
  idleTimeoutMs: number;
  /** Sockets one address may hold at once (SOCKETS_PER_ADDRESS); the next is closed with 4029. */
  maxSocketsPerAddress: number;
}

export const DEFAULT_HUB_OPTIONS: HubOptions = {
  authTimeoutMs: 10_000,
  pingIntervalMs: 25_000,
  idleTimeoutMs: 60_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxReplay: 1000,
  maxSocketsPerAddress: 1000,
  messageBurst: 100,
  messagesPerSecond: 20,
};

/**
 * The heartbeat runs this many times a ping interval, each time pinging the sockets whose
 * turn it is. Pinging them all at once held the server's thread up 43 ms for 2,000 sockets
 * (a write each; bench/audiences.ts), and would hold it about 200 ms at 10,000.
 */
const HEARTBEAT_SLICES = 25;

export class SocketHub implements SessionHost {
  private readonly users = new Map<string, Set<SocketSession>>();
  private readonly channelViewers = new Map<string, Set<SocketSession>>();
  private readonly pending = new Set<SocketSession>();
  /** Open sockets by the address they came from. */
  private readonly perAddress = new Map<string, number>();
  private unsubscribe: (() => void) | undefined;
  private unsubscribeChannels: (() => void) | undefined;
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    readonly tokens: TokenService,
    readonly log: ChangeLog,
    private readonly bus: CardChangeBus,
    private readonly channels: ChannelRepository,
    readonly options: HubOptions = DEFAULT_HUB_OPTIONS,
  ) {}

  start(): void {
    this.unsubscribe = this.bus.subscribe((changes) => this.deliverLocal(changes));
    this.unsubscribeChannels = this.channels.subscribe((event) => this.deliverChannel(event));
    this.sweep = setInterval(() => this.heartbeat(), Math.max(1, this.options.pingIntervalMs / HEARTBEAT_SLICES));
    this.sweep.unref();
  }

  /** Closes every socket (1001: the client reconnects, to this server or another). */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribeChannels?.();
    clearInterval(this.sweep);
    for (const session of [...this.sessions()]) session.close(1001, 'The server is shutting down.');
  }

  accept(socket: WebSocket, address: string): void {
    const open = this.perAddress.get(address) ?? 0;
    if (open >= this.options.maxSocketsPerAddress) {
      socket.close(CLOSE_CODES.tooMany, 'Too many sockets from this address: close some, or try again later.');
      return;
    }
    this.perAddress.set(address, open + 1);
    socket.once('close', () => {
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
    });
    this.pending.add(new SocketSession(socket, this));
  }

  register(session: SocketSession): void {
    this.pending.delete(session);
    const userId = session.userId as string;
    let set = this.users.get(userId);
    if (!set) this.users.set(userId, (set = new Set()));
    set.add(session);
  }

  async watch(session: SocketSession, channelId: string): Promise<boolean> {
    const exists = await this.channels.get(channelId).then(
      () => true,
      () => false,
    );
    if (!exists) return false;
    this.pending.delete(session);
    let set = this.channelViewers.get(channelId);
    if (!set) this.channelViewers.set(channelId, (set = new Set()));
    set.add(session);
    return true;
  }

  unregister(session: SocketSession): void {
    this.pending.delete(session);
    if (session.channelId !== undefined) {
      const viewers = this.channelViewers.get(session.channelId);
      viewers?.delete(session);
      if (viewers?.size === 0) this.channelViewers.delete(session.channelId);
      return;
    }
    const set = session.userId === undefined ? undefined : this.users.get(session.userId);
    if (!set) return;
    set.delete(session);
    if (set.size === 0) this.users.delete(session.userId as string);
  }

  get socketCount(): number {
    let n = this.pending.size;
    for (const set of this.users.values()) n += set.size;
    for (const set of this.channelViewers.values()) n += set.size;
    return n;
  }

  /** Other servers' changes: the sockets of those users read them from the log. */
  receiveNotice(notice: ChangeNotice): void {
    if (notice.origin === this.log.origin) return; // delivered through the bus already
    for (const [userId, seq] of notice.users) {
      for (const session of this.users.get(userId) ?? []) session.notice(seq);
    }
  }

  /** Another server changed a channel: its viewers here get the change, read from the store. */
  async receiveChannelNotice(notice: ChannelNotice): Promise<void> {
    if (notice.origin === this.log.origin || !this.channelViewers.has(notice.channelId)) return;
    if (notice.op === 'upsert') {
      const card = notice.cardId === undefined ? undefined : await this.channels.card(notice.channelId, notice.cardId);
      // Gone already: its delete notice follows (or came first).
      if (card) this.deliverChannel({ channelId: notice.channelId, change: { op: 'upsert', card } });
    } else if (notice.op === 'delete' && notice.cardId !== undefined) {
      this.deliverChannel({ channelId: notice.channelId, change: { op: 'delete', cardId: notice.cardId } });
    } else if (notice.op === 'channel-deleted') {
      this.deliverChannel({ channelId: notice.channelId, change: { op: 'channel-deleted' } });
    }
  }

  private deliverChannel({ channelId, change }: ChannelEvent): void {
    const viewers = this.channelViewers.get(channelId);
    if (!viewers) return;
    const message: ServerMessage =
      change.op === 'upsert'
        ? { type: 'channel-card', channelId, op: 'upsert', card: change.card }
        : change.op === 'delete'
          ? { type: 'channel-card', channelId, op: 'delete', cardId: change.cardId }
          : { type: 'channel-deleted', channelId };
    const json = JSON.stringify(message);
    for (const session of [...viewers]) {
      session.deliverChannel(json);
      if (change.op === 'channel-deleted') session.close(CLOSE_CODES.channelNotFound, 'The channel was deleted.');
    }
  }

  /** After notices may have been lost (the LISTEN connection dropped): every socket re-reads. */
  resyncAll(): void {
    for (const set of this.users.values()) for (const session of set) session.resync();
  }

  private deliverLocal(changes: readonly CardChange[]): void {
    const byUser = new Map<string, OutgoingChange[]>();
    for (const change of changes) {
      const sessions = this.users.get(change.card.user_id);
      if (!sessions) continue;
      let list = byUser.get(change.card.user_id);
      if (!list) byUser.set(change.card.user_id, (list = []));
      list.push({
        seq: change.seq,
        json: changeJson({ seq: change.seq, status: change.card.status, streamId: change.card.stream_id, card: change.card }),
      });
    }
    for (const [userId, list] of byUser) {
      list.sort((a, b) => a.seq - b.seq);
      for (const session of this.users.get(userId) ?? []) session.deliver(list);
    }
  }

  /** Pings the sockets whose turn it is (each every pingIntervalMs), and closes the silent. */
  private heartbeat(): void {
    const now = Date.now();
    const due: SocketSession[] = [];
    for (const session of this.sessions()) {
      // A socket's first turn falls anywhere in its first interval, so sockets that came
      // together (a deploy's reconnects) are pinged a slice at a time.
      session.nextPingAt ??= now + Math.random() * this.options.pingIntervalMs;
      if (session.nextPingAt <= now) due.push(session);
    }
    // Pinged once found: a ping may close a silent socket, which leaves the sets walked above.
    for (const session of due) {
      session.nextPingAt = now + this.options.pingIntervalMs;
      session.ping(now, this.options.idleTimeoutMs);
    }
  }

  /** Every socket, as the sets hold them now: take a copy before closing any. */
  private *sessions(): Iterable<SocketSession> {
    yield* this.pending;
    for (const set of this.users.values()) yield* set;
    for (const set of this.channelViewers.values()) yield* set;
  }
}

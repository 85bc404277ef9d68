// Each user's change sequence (docs/protocol.md): every change to a user's cards gets the
// next number of that user's sequence, inside the transaction that makes the change, and
// is kept for sockets to resume from: a change to a card as a row of the change log, the
// change that made a card as the card's own change_seq (a send of a million cards writes
// no log row for them). On PostgreSQL the same transaction NOTIFYs the other servers, which
// PostgreSQL delivers only once it commits.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { StoreKind } from '../store/database.js';
import type { CardRow } from './row.js';
import type { CardsTable, Database } from '../store/schema.js';
import type { CardChange, LeavingCard } from './change-bus.js';
import { CardContents } from './contents.js';
import type { SqliteNow } from '../store/write-now.js';

export const NOTIFY_CHANNEL = 'card_stream_changes';
/** How long changes are kept for sockets to resume from. */
export const DEFAULT_CHANGE_RETENTION_MS = 7 * 24 * 3600_000;
/** Users whose sequences one statement advances. */
const SEQUENCE_CHUNK = 10_000;
/** NOTIFY payloads must stay under 8000 bytes. */
const NOTIFY_BYTES = 7000;

/** A NOTIFY payload: which server made the changes, and each user's latest sequence. */
export interface ChangeNotice {
  origin: string;
  users: [userId: string, seq: number][];
}

export interface LoggedChange {
  seq: number;
  status: string;
  streamId: string;
  /** The whole row when the change shows the card (status active). */
  card: CardRow | LeavingCard;
}

export type Resume = { kind: 'changes'; changes: LoggedChange[] } | { kind: 'reload'; seq: number };

/** SQLite: adds a count to one user's sequence. */
const ADVANCE_SEQUENCE = `insert into user_sequences (user_id, last_seq) values (?, ?)
  on conflict (user_id) do update set last_seq = user_sequences.last_seq + excluded.last_seq returning last_seq`;

/** SQLite: adds each user's count to their sequence; the users and counts come as one JSON array of pairs. */
const ADVANCE_SEQUENCES = `insert into user_sequences (user_id, last_seq)
  select json_extract(value, '$[0]'), json_extract(value, '$[1]') from json_each(?) where true
  on conflict (user_id) do update set last_seq = user_sequences.last_seq + excluded.last_seq returning user_id, last_seq`;

/** PostgreSQL: adds each user's count to their sequence, locking the rows in `users` order; returns the new last numbers. */
const advanceOnPostgres = (users: string[], perUser: Map<string, number>) => sql<{ user_id: string; last_seq: number }>`
  insert into user_sequences (user_id, last_seq)
  select * from unnest(${users}::text[], ${users.map((u) => perUser.get(u))}::bigint[])
  on conflict (user_id) do update set last_seq = user_sequences.last_seq + excluded.last_seq
  returning user_id, last_seq`;

/** How many of `entries` each user has, and the users in a fixed order, so two transactions
 * lock their sequence rows in the same order and cannot deadlock each other. */
function countByUser(cards: readonly { user_id: string }[]): { users: string[]; perUser: Map<string, number> } {
  const perUser = new Map<string, number>();
  for (const card of cards) perUser.set(card.user_id, (perUser.get(card.user_id) ?? 0) + 1);
  return { users: [...perUser.keys()].sort(), perUser };
}

/** The status a card was made with: what the change that made it showed (flows/flow-cards.ts). */
export const madeStatus = (card: Pick<CardsTable, 'embargo_until'>): string => (card.embargo_until === null ? 'active' : 'embargoed');

/** A change as `since` reads it: the card's row, and the change's number, status and stream (null status: the change that made the card). */
type ReadChange = CardsTable & { log_seq: number; log_status: string | null; log_stream: string };

/** Each user's first number of `perUser` new ones ending at `last`. */
function firstNumbers(perUser: Map<string, number>, last: Map<string, number>): Map<string, number> {
  const next = new Map<string, number>();
  for (const [user, n] of perUser) next.set(user, (last.get(user) as number) - n + 1);
  return next;
}

/** The changes that make `cards`, numbered as `numbered` numbers, each card given its number as its change_seq (a page of a send job makes thousands). */
function madeChanges(cards: readonly CardRow[], perUser: Map<string, number>, last: Map<string, number>): CardChange[] {
  const next = firstNumbers(perUser, last);
  const changes = new Array<CardChange>(cards.length);
  for (let i = 0; i < cards.length; i++) {
    const card = cards[i] as CardRow;
    const seq = next.get(card.user_id) as number;
    next.set(card.user_id, seq + 1);
    card.change_seq = seq;
    changes[i] = { card, seq };
  }
  return changes;
}

/** `entries` numbered: each user's take the numbers up to the user's new `last` one, in the order given. */
function numbered(entries: readonly Omit<CardChange, 'seq'>[], perUser: Map<string, number>, last: Map<string, number>): CardChange[] {
  const next = firstNumbers(perUser, last);
  return entries.map((entry) => {
    const seq = next.get(entry.card.user_id) as number;
    next.set(entry.card.user_id, seq + 1);
    return { ...entry, seq };
  });
}

export class ChangeLog {
  /** Changes made before this time are no longer kept (prune); the changes that made cards are read from here on. */
  private keptFrom = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: StoreKind,
    /** This server's id, so it can tell its own notices from other servers'. */
    readonly origin: string,
    /** Store.readDb: sockets read the log without queueing behind a write in progress. */
    private readonly readDb: Kysely<Database> = db,
    /** What cards share with the rest of their flow, stored once. */
    private readonly contents: CardContents = new CardContents(readDb),
    /** Store.now: on SQLite, the log is written with statements of its own. */
    private readonly now?: SqliteNow,
  ) {}

  /** Numbers and logs `entries` inside `tx`; returns them with their sequence numbers. */
  async record(tx: Transaction<Database>, entries: readonly Omit<CardChange, 'seq'>[]): Promise<CardChange[]> {
    if (this.kind !== 'postgres') return this.recordNow(entries);
    if (entries.length === 0) return [];
    const { users, perUser } = countByUser(entries.map((entry) => entry.card));
    const last = await this.logOnPostgres(tx, entries, users, perUser, Date.now());
    await this.notify(tx, users.map((u) => [u, last.get(u) as number]));
    return numbered(entries, perUser, last);
  }

  /**
   * Numbers the changes that make `cards`, inside `tx` and before the cards are stored: each
   * card takes its number as its change_seq, which is that change's place in the log (since).
   */
  async numberNew(tx: Transaction<Database>, cards: readonly CardRow[]): Promise<CardChange[]> {
    if (this.kind !== 'postgres') return this.numberNewNow(cards);
    if (cards.length === 0) return [];
    const { users, perUser } = countByUser(cards);
    const { rows } = await advanceOnPostgres(users, perUser).execute(tx);
    const last = new Map(rows.map((row) => [row.user_id, Number(row.last_seq)]));
    await this.notify(tx, users.map((u) => [u, last.get(u) as number]));
    return madeChanges(cards, perUser, last);
  }

  /** SQLite: `numberNew`, made synchronously inside the connection's transaction in progress (store/write-now.ts). */
  numberNewNow(cards: readonly CardRow[]): CardChange[] {
    if (cards.length === 0) return [];
    const { users, perUser } = countByUser(cards);
    return madeChanges(cards, perUser, this.advanceNow(users, perUser));
  }

  /** SQLite: `record`, made synchronously inside the connection's transaction in progress (store/write-now.ts). */
  recordNow(entries: readonly Omit<CardChange, 'seq'>[]): CardChange[] {
    if (entries.length === 0) return [];
    const { users, perUser } = countByUser(entries.map((entry) => entry.card));
    const now = Date.now();
    const changes = numbered(entries, perUser, this.advanceNow(users, perUser));
    (this.now as SqliteNow).insert(
      'card_changes',
      changes.map(({ card, seq }) => ({ user_id: card.user_id, seq, card_instance_id: card.card_instance_id, stream_id: card.stream_id, status: card.status, at: now })),
    );
    return changes;
  }

  /** SQLite: adds each user's count to their sequence; the users' new last numbers. */
  private advanceNow(users: string[], perUser: Map<string, number>): Map<string, number> {
    if (!this.now) throw new Error('a SQLite store only');
    const last = new Map<string, number>();
    if (users.length === 1) {
      // A send to one user, the most common: its own statement, with no JSON to make or unpack.
      const [user] = users as [string];
      const row = this.now.statement(ADVANCE_SEQUENCE).get(user, perUser.get(user)) as { last_seq: number | bigint };
      last.set(user, Number(row.last_seq));
    } else {
      const advance = this.now.statement(ADVANCE_SEQUENCES);
      for (let i = 0; i < users.length; i += SEQUENCE_CHUNK) {
        // One statement for the lot, whose text does not change with their number: a send
        // job's page advances thousands of users' sequences.
        const pairs = JSON.stringify(users.slice(i, i + SEQUENCE_CHUNK).map((user) => [user, perUser.get(user) as number]));
        for (const row of advance.all(pairs) as { user_id: string; last_seq: number | bigint }[]) last.set(row.user_id, Number(row.last_seq));
      }
    }
    return last;
  }

  /**
   * PostgreSQL: the sequences and the log in one statement, the entries passed as one JSON
   * array: a bulk cancel logs thousands of changes per page, which as VALUES lists of 500
   * rows cost more to build and bind than to store. The sequence rows are locked in `users`
   * order, and as late in the transaction as the caller records. Numbers each user's
   * changes as `record` does: in the order given, up to the user's new last number.
   */
  private async logOnPostgres(
    tx: Transaction<Database>,
    entries: readonly Omit<CardChange, 'seq'>[],
    users: string[],
    perUser: Map<string, number>,
    now: number,
  ): Promise<Map<string, number>> {
    const changes = entries.map(({ card }) => [card.user_id, card.card_instance_id, card.stream_id, card.status]);
    // The users go as arrays that unnest in the order given, with their counts: joined to
    // the entries instead, the rows would have to be sorted back into that order, and with
    // sorts off (a cancel page's transaction) PostgreSQL compared every user with every
    // other instead (140 ms for 1,000).
    const { rows } = await sql<{ user_id: string; last_seq: number }>`
      with entry as (
        select c->>0 as user_id, (c->>1)::uuid as card_instance_id, c->>2 as stream_id, c->>3 as status, n
        from json_array_elements(${JSON.stringify(changes)}::json) with ordinality as e(c, n)
      ),
      numbered as (${advanceOnPostgres(users, perUser)}),
      logged as (
        insert into card_changes (user_id, seq, card_instance_id, stream_id, status, at)
        select entry.user_id, numbered.last_seq - count(*) over everything + row_number() over ordered,
          entry.card_instance_id, entry.stream_id, entry.status, ${now}::bigint
        from entry join numbered using (user_id)
        window ordered as (partition by entry.user_id order by entry.n),
          everything as (partition by entry.user_id)
      )
      select user_id, last_seq from numbered`.execute(tx);
    return new Map(rows.map((row) => [row.user_id, Number(row.last_seq)]));
  }

  /**
   * NOTIFYs the other servers of `changes` logged inside `tx` by the caller itself (a bulk
   * cancel page on PostgreSQL, cancel-page-pg.ts): each user's latest number.
   */
  async announce(tx: Transaction<Database>, changes: readonly CardChange[]): Promise<void> {
    if (this.kind !== 'postgres' || changes.length === 0) return;
    const latest = new Map<string, number>();
    for (const { card, seq } of changes) if (seq > (latest.get(card.user_id) ?? 0)) latest.set(card.user_id, seq);
    await this.notify(tx, [...latest].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  }

  /** NOTIFYs `users`' latest numbers, in payloads under NOTIFY_BYTES, all in one statement (a bulk cancel page names thousands of users). */
  private async notify(tx: Transaction<Database>, users: [string, number][]): Promise<void> {
    const payloads: string[] = [];
    let batch: [string, number][] = [];
    let bytes = 0;
    const flush = () => {
      if (batch.length === 0) return;
      payloads.push(JSON.stringify({ origin: this.origin, users: batch } satisfies ChangeNotice));
      batch = [];
      bytes = 0;
    };
    for (const pair of users) {
      const size = JSON.stringify(pair).length + 1;
      if (bytes + size > NOTIFY_BYTES) flush();
      batch.push(pair);
      bytes += size;
    }
    flush();
    if (payloads.length === 0) return;
    // unnest yields the payloads in order, and PostgreSQL delivers a transaction's notices in the order sent.
    await sql`select pg_notify(${NOTIFY_CHANNEL}, payload) from unnest(${payloads}::text[]) as payload`.execute(tx);
  }

  /** The user's latest sequence number (0 before their first change). */
  async latest(userId: string): Promise<number> {
    const row = await this.readDb.selectFrom('user_sequences').select('last_seq').where('user_id', '=', userId).executeTakeFirst();
    return row ? Number(row.last_seq) : 0;
  }

  /**
   * The changes after `since`, oldest first, at most `limit` — or `reload` when some of
   * them are no longer kept, when there are more than `maxBehind` (the feed is cheaper
   * then), or when `since` is ahead of the store. They are the log's rows and the cards
   * made after `since` (their change_seq), read in one statement (one snapshot).
   */
  async since(userId: string, since: number, limit: number, maxBehind = Infinity): Promise<Resume> {
    const latest = await this.latest(userId);
    if (since > latest || latest - since > maxBehind) return { kind: 'reload', seq: latest };
    if (since === latest) return { kind: 'changes', changes: [] };
    const { rows } = await sql<ReadChange>`
      select * from (
        select ch.seq as log_seq, ch.status as log_status, ch.stream_id as log_stream, cards.* from card_changes ch
        join cards on cards.card_instance_id = ch.card_instance_id
        where ch.user_id = ${userId} and ch.seq > ${since} order by ch.seq limit ${limit}) as logged
      union all
      select * from (
        select cards.change_seq as log_seq, null as log_status, cards.stream_id as log_stream, cards.* from cards
        where cards.user_id = ${userId} and cards.created >= ${this.keptFrom} and cards.change_seq > ${since}
        order by cards.change_seq limit ${limit}) as made
      order by log_seq limit ${limit}`.execute(this.readDb);
    // Every change from since + 1 must be there, up to the latest or the limit: a change no
    // longer kept (pruned, its card gone) leaves a gap.
    const expected = Math.min(limit, latest - since);
    if (rows.length < expected || rows.some((row, i) => Number(row.log_seq) !== since + 1 + i)) return { kind: 'reload', seq: latest };
    const cards = await this.contents.cards(
      rows.map(({ log_seq: _seq, log_status: _status, log_stream: _stream, ...card }) => card),
      this.readDb,
    );
    return {
      kind: 'changes',
      changes: rows.map((row, i) => ({
        seq: Number(row.log_seq),
        status: row.log_status ?? madeStatus(row),
        streamId: row.log_stream,
        card: cards[i] as CardRow,
      })),
    };
  }

  /** Prunes now and every `everyMs`; returns a function that stops it. */
  schedulePruning(retentionMs: number, everyMs: number, onError: (err: unknown) => void): () => void {
    const run = () => void this.prune(retentionMs).catch(onError);
    run();
    const timer = setInterval(run, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Forgets changes older than `retentionMs`. */
  async prune(retentionMs: number): Promise<number> {
    const before = Date.now() - retentionMs;
    // The changes that made cards are forgotten by time too: those of cards made before.
    this.keptFrom = Math.max(this.keptFrom, Math.min(before, Date.now()));
    const result = await this.db
      .deleteFrom('card_changes')
      .where('at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

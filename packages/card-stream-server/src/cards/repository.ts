// Card instances in the store: sending, querying, actioning and lifecycle transitions. Each
// write records its analytics events in the same transaction and announces the change on
// the bus once committed.
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SelectQueryBuilder, type SqlBool, type Transaction } from 'kysely';
import type { CardsTable, Database } from '../store/schema.js';
import type { CardAction, CardStatus } from '../../../protocol/src/cards.js';
import { OPEN_STATES } from '../../../protocol/src/cards.js';
import { platformEvent, sendEventsRow, type ActionSource, type EventRow, type PlatformEventName } from '../analytics/platform-events.js';
import { filterConditions, resolveFilter, type CardFilter, type ResolvedFilter } from './filter.js';
import { nextDue, type CardRow } from './row.js';
import type { CardChange, CardChangeBus } from './change-bus.js';
import { madeStatus, type ChangeLog } from './change-log.js';
import type { InsertMany } from '../store/insert-many.js';
import { insertEvents, insertEventsNow } from '../analytics/event-store.js';
import { StoredOnce } from '../store/stored-once.js';
import { InsertBatcher } from './insert-batcher.js';
import { CardContents, storedCard, type Content } from './contents.js';
import type { StoreKind } from '../store/database.js';
import type { SqliteNow } from '../store/write-now.js';
import { InvalidInput, NotFound, InvalidState } from '../errors.js';
import type { EventTemplate } from '../analytics/event-contexts.js';
import { cancelPageStatement, unwrittenCards, writableTemplate } from './cancel-page-pg.js';

/** Inside a write: logs card changes in the transaction; they are announced after commit. */
export type RecordChanges = (entries: Omit<CardChange, 'seq'>[]) => Promise<void>;

const ACTION_STATES: Record<CardAction, readonly CardStatus[]> = {
  dismiss: ['active', 'snoozed'],
  complete: ['active', 'snoozed'],
  snooze: ['active', 'snoozed'],
  cancel: OPEN_STATES,
};
const END_STATE: Record<CardAction, CardStatus> = {
  dismiss: 'dismissed',
  complete: 'completed',
  snooze: 'snoozed',
  cancel: 'cancelled',
};
const ACTION_EVENT: Record<CardAction, PlatformEventName> = {
  dismiss: 'card-dismissed',
  complete: 'card-completed',
  snooze: 'card-snoozed',
  cancel: 'card-cancelled',
};

export interface ActOptions {
  multiple: boolean;
  cap: number;
  actionSource: ActionSource;
  /** complete: the JSON body, kept as completion.payload. */
  completionPayload?: unknown;
  /** snooze: when the card comes back. */
  snoozeUntil?: number;
  /** When the action was taken, for its events, if not now (an end user's click sent later). */
  eventAt?: number;
}

export interface ActResult {
  changed: CardRow[];
  total: number;
}

/** A card's place in (created, card_instance_id) order: where a paged job goes on from. */
export interface CardPosition {
  created: number;
  cardInstanceId: string;
}

/** A page of a bulk cancel: at most `limit` cards after `after`, up to `upTo` inclusive. */
export interface CancelRange {
  after?: CardPosition | undefined;
  upTo?: CardPosition | undefined;
  limit: number;
  /**
   * Of those, only every `stride`-th (the first, then each `stride` further): one of the
   * passes over a range (cancel-jobs/run.ts). Absent or 1: all of them.
   */
  stride?: number;
}

/** What a page of a bulk cancel did: how many it cancelled, the last one's position (none: no card was left). */
export interface CancelledPage {
  cancelled: number;
  next: CardPosition | undefined;
}

/** The (created, card_instance_id) position of the last of `cards`. */
function lastPosition(cards: readonly Pick<CardRow, 'created' | 'card_instance_id'>[]): CardPosition | undefined {
  if (cards.length === 0) return undefined;
  const last = cards.reduce((a, b) => (b.created > a.created || (b.created === a.created && b.card_instance_id > a.card_instance_id) ? b : a));
  return { created: Number(last.created), cardInstanceId: last.card_instance_id };
}

/** The open cards matching `filter` within `range` (its limit aside). */
function pageConditions(w: ExpressionBuilder<Database, 'cards'>, filter: ResolvedFilter, range: CancelRange): Expression<SqlBool> {
  const conditions = [filterConditions(w, filter, OPEN_STATES)];
  const { after, upTo } = range;
  if (after) {
    // The plain `created >=` lets the index on (…, created) seek to the position instead of
    // scanning every card the job has already passed.
    conditions.push(w('created', '>=', after.created));
    conditions.push(
      w.or([w('created', '>', after.created), w.and([w('created', '=', after.created), w('card_instance_id', '>', after.cardInstanceId)])]),
    );
  }
  if (upTo) {
    conditions.push(w('created', '<=', upTo.created));
    conditions.push(
      w.or([w('created', '<', upTo.created), w.and([w('created', '=', upTo.created), w('card_instance_id', '<=', upTo.cardInstanceId)])]),
    );
  }
  return w.and(conditions);
}

/**
 * The keys of the cards `range` picks, in page order: the open cards matching `filter` in
 * it, at most its limit, and of those every `stride`-th.
 */
// (`any`: the two shapes of the query differ in their tables.)
function pageKeys(db: Transaction<Database>, filter: ResolvedFilter, range: CancelRange): SelectQueryBuilder<any, any, { card_instance_id: string }> {
  const inRange = db
    .selectFrom('cards')
    .where((w) => pageConditions(w, filter, range))
    .orderBy('created')
    .orderBy('card_instance_id')
    .limit(range.limit);
  const stride = range.stride ?? 1;
  if (stride === 1) return inRange.select('card_instance_id');
  // The window runs in the index's order, which is the query's: no sort.
  const numbered = inRange.select(['card_instance_id', sql<number>`row_number() over (order by created, card_instance_id) - 1`.as('n')]);
  return db
    .selectFrom(numbered.as('numbered'))
    .select('card_instance_id')
    .where(sql<SqlBool>`n % ${sql.lit(stride)} = 0`);
}

interface PendingInsert {
  cards: CardRow[];
  contents: Content[];
  /** When the cards were sent: their sent events' time (sendEventsRow). */
  sentAt: number;
  alsoWrite?: ((tx: Transaction<Database>) => Promise<void>) | undefined;
}

export interface Transition {
  card: CardRow;
  status: CardStatus;
  at: number;
  event: PlatformEventName;
}

/**
 * How long before the newest card `recoverSentEvents` looks: longer than a send can wait
 * for its turn to write (queued behind other groups, each waiting at most 5 s for the
 * SQLite worker and 5 s more in SQLite's busy wait: store/write-gate.ts, database.ts).
 */
const RECOVERY_WINDOW_MS = 60_000;

/** Card-cancelled event templates a process keeps (cancel-page-pg.ts): one per group of cards. */
const KEEP_CANCEL_TEMPLATES = 1000;

export class CardRepository {
  /** Card-cancelled event templates by group of cards (cancel-page-pg.ts), learnt from pages that committed. */
  private readonly cancelTemplates = new Map<string, EventTemplate>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly bus: CardChangeBus,
    private readonly log: ChangeLog,
    private readonly insertMany: InsertMany,
    private readonly kind: StoreKind,
    /** Store.readDb: queries that need not wait for a write in progress. */
    private readonly readDb: Kysely<Database> = db,
    /** What cards share with the rest of their flow, stored once (one per process: it keeps what it read). */
    private readonly contents: CardContents = new CardContents(readDb),
    /** Store.now: on SQLite, inserts are made with statements of their own, and a send's at once when it can (store/write-now.ts). */
    private readonly now?: SqliteNow,
  ) {}

  /** Stored card rows as cards, their shared content filled in; `db` is the transaction when inside one. */
  cardsOf(rows: readonly CardsTable[], db: Kysely<Database> = this.db): Promise<CardRow[]> {
    return this.contents.cards(rows, db);
  }

  /** Analytics events about cards, stored inside a write's transaction. */
  storeEvents(tx: Transaction<Database>, events: EventRow[], ignoreDuplicates = false): Promise<number> {
    // On SQLite a send's rows with a span go through storeNow, which gives them their seqs.
    return insertEvents(this.insertMany, tx, events, ignoreDuplicates, this.storedTemplates, this.now ? 'expand' : 'keep');
  }

  /** Event templates stored by writes that committed (`write`). */
  private readonly storedTemplates = new StoredOnce();

  /**
   * Runs `work` in one transaction in which it records the card changes it makes; once the
   * transaction commits they go on the bus, numbered. Every write to cards goes through here.
   */
  async write<T>(work: (tx: Transaction<Database>, record: RecordChanges, logged: (changes: readonly CardChange[]) => void) => Promise<T>): Promise<T> {
    const changes: CardChange[] = [];
    let committed: Transaction<Database> | undefined;
    const result = await this.db.transaction().execute(async (tx) => {
      changes.length = 0; // a retried transaction starts over
      committed = tx;
      return work(
        tx,
        async (entries) => {
          changes.push(...(await this.log.record(tx, entries)));
        },
        // Changes the work logged itself (a bulk cancel page on PostgreSQL, in SQL).
        (logged) => {
          for (const change of logged) changes.push(change);
        },
      );
    });
    this.committed(committed!, changes);
    return result;
  }

  /** After `write` (a transaction, or what stands for one) has committed, having made `changes`. */
  private committed(write: object, changes: readonly CardChange[]): void {
    // What it stored once and for all need not be looked for again.
    this.contents.committed(write);
    this.storedTemplates.committed(write);
    this.bus.publish(changes);
  }

  /**
   * Inserts cards, the contents they name and their sent events (sendEventsRow, at
   * `sentAt`); `alsoWrite` runs in the same transaction (an Idempotency-Key's record).
   * Inserts made at the same time share one transaction (insert-batcher.ts); each resolves
   * once it has committed.
   */
  insert(cards: CardRow[], contents: Content[], sentAt: number, alsoWrite?: (tx: Transaction<Database>) => Promise<void>): Promise<void> {
    return this.inserts.add({ cards, contents, sentAt, alsoWrite });
  }

  private readonly inserts = new InsertBatcher<PendingInsert>((units) => this.insertTogether(units));

  /**
   * The inserts of one group commit. On SQLite, when the connection is free, they are
   * synchronous (store/write-now.ts): nothing awaited between the request and its card on the
   * user's socket. There the cards commit first and go on the bus, and their events commit
   * in a second transaction right after, the connection held between the two: a card reaches
   * its user without waiting for its events' pages (issue 16). Each send is answered only
   * once both have committed. A crash between the two leaves the last cards written without
   * their sent events; `recoverSentEvents` writes them at the next start.
   *
   * An Idempotency-Key's record is written through kysely, so a group with one takes
   * kysely's transaction, one for all, as does every group on PostgreSQL.
   */
  private async insertTogether(units: PendingInsert[]): Promise<void> {
    const cards = units.flatMap((u) => u.cards);
    const contents = units.flatMap((u) => u.contents);
    // Made once the cards are on the bus where they can be (the fast path below): a send's
    // events are no part of what its user waits for.
    const sentEvents = () => units.flatMap((u) => u.cards.map((card) => sendEventsRow(card, u.sentAt)));
    if (this.now && units.every((u) => !u.alsoWrite)) {
      const now = this.now;
      const cardsWrite = {};
      const eventsWrite = {};
      const done = now.held((transaction) => {
        const changes = transaction(() => {
          const numbered = this.log.numberNewNow(cards);
          this.storeCardsNow(cardsWrite, cards, contents);
          return numbered;
        });
        // The cards are written: their events are written next whatever happens here.
        let unannounced: { err: unknown } | undefined;
        try {
          this.committed(cardsWrite, changes);
        } catch (err) {
          unannounced = { err };
        }
        try {
          const events = sentEvents();
          transaction(() => insertEventsNow(now, eventsWrite, events, this.storedTemplates));
          return { eventsStored: true, unannounced };
        } catch {
          return { eventsStored: false, unannounced };
        }
      });
      if (done) {
        // Events refused after their cards committed are tried once more through kysely; if
        // that fails too, the sends fail (and are tried again one by one, insert-batcher.ts,
        // which their cards' ids, already stored, refuse: none is there twice).
        if (done.value.eventsStored) this.storedTemplates.committed(eventsWrite);
        else await this.write((tx) => this.storeEvents(tx, sentEvents()));
        if (done.value.unannounced) throw done.value.unannounced.err;
        return;
      }
      // The connection is in use: one transaction through kysely, below.
    }
    await this.write(async (tx, _record, logged) => {
      await this.insertIn(tx, logged, cards, contents, sentEvents());
      for (const unit of units) await unit.alsoWrite?.(tx);
    });
  }

  /**
   * SQLite, at start: the sent events (card-published or card-embargoed, and the flow's)
   * of the cards a crash left without them between a send's two transactions
   * (`insertTogether`). Nothing writes between the two, so such cards are the last the store
   * wrote, made (`created`) at most the time their send waited for its turn before that:
   * within RECOVERY_WINDOW_MS of the newest card. Returns how many cards it wrote events for.
   */
  async recoverSentEvents(): Promise<number> {
    if (this.kind !== 'sqlite') return 0;
    const { rows } = await sql<CardsTable>`
      select c.* from cards c
      where c.created >= (select max(created) from cards) - ${RECOVERY_WINDOW_MS} and c.sent_by_job is null
        and not exists (select 1 from analytics_events e where e.card_instance_id = c.card_instance_id
          and e.analytics_event in ('card-published', 'card-embargoed'))`.execute(this.db);
    if (rows.length === 0) return 0;
    // Each event as the send made it: with the status the card was made with, at its making.
    const events = (await this.cardsOf(rows)).map((card) => sendEventsRow({ ...card, status: madeStatus(card) }, card.created));
    await this.write((tx) => this.storeEvents(tx, events));
    return rows.length;
  }

  /**
   * Inserts cards, the contents they name and their events inside a write the caller holds
   * (a send job's page). The changes that make the cards are numbered first: each card is
   * stored with its number (change-log.ts), and `logged` takes the changes for the bus.
   */
  async insertIn(tx: Transaction<Database>, logged: (changes: readonly CardChange[]) => void, cards: CardRow[], contents: Content[], events: EventRow[]): Promise<void> {
    if (this.now) {
      logged(this.log.numberNewNow(cards));
      this.storeNow(tx, cards, contents, events);
    } else {
      logged(await this.log.numberNew(tx, cards));
      await this.contents.store(tx, contents);
      await this.insertMany(tx, 'cards', cards.map(storedCard));
      await this.storeEvents(tx, events);
    }
  }

  /** Analytics events stored inside a write the caller holds, after its cards (a send job's page): on SQLite, as storeNow does, which gives rows with a span their seqs. */
  async insertEventsIn(tx: Transaction<Database>, events: EventRow[]): Promise<void> {
    if (this.now) insertEventsNow(this.now, tx, events, this.storedTemplates);
    else await this.storeEvents(tx, events);
  }

  /** SQLite: an insert's rows but its changes, made synchronously inside the connection's transaction, which `write` stands for. */
  private storeNow(write: object, cards: CardRow[], contents: Content[], events: EventRow[]): void {
    this.storeCardsNow(write, cards, contents);
    insertEventsNow(this.now as SqliteNow, write, events, this.storedTemplates);
  }

  /** SQLite: cards and the contents they name, as `storeNow` stores them. */
  private storeCardsNow(write: object, cards: CardRow[], contents: Content[]): void {
    const now = this.now as SqliteNow;
    this.contents.storeNow(now, write, contents);
    now.insert('cards', cards.map(storedCard));
  }

  async query(query: CardFilter, limit: number, offset: number): Promise<CardRow[]> {
    const filter = await resolveFilter(this.readDb, query);
    const rows = await this.readDb
      .selectFrom('cards')
      .selectAll()
      .where((eb) => filterConditions(eb, filter))
      .orderBy('created')
      .orderBy('card_instance_id')
      .limit(limit)
      .offset(offset)
      .execute();
    return this.cardsOf(rows, this.readDb);
  }

  async count(query: CardFilter): Promise<number> {
    const filter = await resolveFilter(this.readDb, query);
    const row = await this.readDb
      .selectFrom('cards')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where((eb) => filterConditions(eb, filter))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Applies `action` to the eligible cards matching `filter` (CONTRACT §4): refuses with
   * nothing changed when the `multiple` rule or the card's state forbids it.
   */
  async act(filter: CardFilter, action: CardAction, options: ActOptions): Promise<ActResult> {
    return this.write((tx, record) => this.actIn(tx, record, filter, action, options));
  }

  /** `act` inside a transaction the caller holds (the SDK's idempotent actions). */
  async actIn(
    tx: Transaction<Database>,
    record: RecordChanges,
    query: CardFilter,
    action: CardAction,
    options: ActOptions,
  ): Promise<ActResult> {
    // Looked up in the transaction: in memory, the store's one connection is the transaction's.
    const filter = await resolveFilter(tx, query);
    const states = ACTION_STATES[action];
    const now = Date.now();
    {
      const total = await countIn(tx, filter, states);
      if (!options.multiple && total > 1) {
        throw new InvalidInput('multiple_matches',
          `${total} cards match; add multiple=1 to ${action} them all, or narrow the query.`,
        );
      }
      if (!options.multiple && total === 0) {
        await explainNoEligibleCard(tx, filter, action);
        return { changed: [], total: 0 };
      }
      const ids = await tx
        .selectFrom('cards')
        .select(['card_instance_id', 'status'])
        .where((eb) => filterConditions(eb, filter, states))
        .orderBy('created')
        .orderBy('card_instance_id')
        .limit(options.cap)
        .execute();
      if (ids.length === 0) return { changed: [], total };
      const changed = await this.cardsOf(
        await tx
          .updateTable('cards')
          .set(actionUpdate(action, now, options))
          .where('card_instance_id', 'in', ids.map((r) => r.card_instance_id))
          .where('status', 'in', [...states])
          .returningAll()
          .execute(),
        tx,
      );
      const properties = actionProperties(action, options);
      await this.storeEvents(
        tx,
        changed.map((card) => platformEvent(card, ACTION_EVENT[action], options.eventAt ?? now, options.actionSource, properties)),
      );
      const previous = new Map(ids.map((r) => [r.card_instance_id, r.status]));
      await record(changed.map((card) => ({ card, previousStatus: previous.get(card.card_instance_id) })));
      return { changed, total };
    }
  }

  /**
   * Cancels the next `limit` open cards matching `filter` after `range.after` (and up to
   * `range.upTo`, when given) in (created, card_instance_id) order, or every
   * `range.stride`-th of them — a page of a bulk cancel job. `alsoWrite` runs last in the
   * page's transaction (the job's progress), told what it cancelled: how many, and the
   * position of the last (undefined when none was left).
   */
  async cancelPage(
    query: CardFilter,
    range: CancelRange,
    alsoWrite?: (tx: Transaction<Database>, page: CancelledPage) => Promise<void>,
  ): Promise<CancelledPage> {
    const filter = await resolveFilter(this.readDb, query);
    if (this.kind === 'postgres') return this.cancelPageOnPostgres(filter, range, alsoWrite);
    return this.write(async (tx, record) => {
      const now = Date.now();
      // One statement picks the page and cancels it, so the rows are read once. A card row
      // holds no definition (its content is shared, cards/contents.ts), so it is read back
      // whole. card_instance_id is the table's own key on SQLite (017_cards_keyed_by_id).
      const updated = await tx
        .updateTable('cards')
        .set(actionUpdate('cancel', now, { multiple: true, cap: range.limit, actionSource: 'customer' }))
        .where('card_instance_id', 'in', pageKeys(tx, filter, range))
        .returningAll()
        .execute();
      // The cards of a send share one content (cards/contents.ts), read once and kept.
      const changed = updated.length ? await this.cardsOf(updated, tx) : [];
      if (changed.length > 0) {
        await this.storeEvents(tx, changed.map((card) => platformEvent(card, 'card-cancelled', now, 'customer')));
        await record(changed.map((card) => ({ card })));
      }
      const page = { cancelled: changed.length, next: lastPosition(changed) };
      await alsoWrite?.(tx, page);
      return page;
    });
  }

  /**
   * `cancelPage` on PostgreSQL: one statement cancels the page and writes its events and
   * changes (cancel-page-pg.ts). Only the cards of a group whose event template this process
   * has not learnt yet get their events made here, and teach it.
   */
  private async cancelPageOnPostgres(
    filter: ResolvedFilter,
    range: CancelRange,
    alsoWrite?: (tx: Transaction<Database>, page: CancelledPage) => Promise<void>,
  ): Promise<CancelledPage> {
    const learnt = new Map<string, EventTemplate>();
    const page = await this.write(async (tx, _record, logged) => {
      learnt.clear();
      const now = Date.now();
      await this.pagePlanOnPostgres(tx);
      const rows = await cancelPageStatement(tx, pageKeys(tx, filter, range), now, this.cancelTemplates);
      const unwritten = await unwrittenCards(tx, rows);
      if (unwritten.cards.length > 0) {
        const events = (await this.cardsOf(unwritten.cards, tx)).map((card) => {
          const event = platformEvent(card, 'card-cancelled', now, 'customer');
          const group = unwritten.groups.get(card.card_instance_id);
          if (group !== undefined && event.context && writableTemplate(event.context)) learnt.set(group, event.context);
          return event;
        });
        await this.storeEvents(tx, events);
      }
      const changes: CardChange[] = rows.map((row) => ({
        card: { card_instance_id: row.card_instance_id, user_id: row.user_id, stream_id: row.stream_id, status: 'cancelled', next_due: null },
        seq: Number(row.seq),
      }));
      await this.log.announce(tx, changes);
      logged(changes);
      const done = { cancelled: rows.length, next: lastPosition(rows.map((row) => ({ created: Number(row.created), card_instance_id: row.card_instance_id }))) };
      await alsoWrite?.(tx, done);
      return done;
    });
    // Learnt once committed: a template is used by later pages only once it is stored.
    for (const [group, template] of learnt) {
      if (this.cancelTemplates.size >= KEEP_CANCEL_TEMPLATES) this.cancelTemplates.delete(this.cancelTemplates.keys().next().value as string);
      this.cancelTemplates.set(group, template);
    }
    return page;
  }

  /**
   * Where the page of `size` open cards matching `filter` after `after` ends: the position of
   * its last card, or undefined when fewer are left. Lets a job run pages side by side
   * (cancel-jobs/run.ts), each bounded at both ends.
   */
  async cancelPageEnd(query: CardFilter, after: CardPosition | undefined, size: number): Promise<CardPosition | undefined> {
    const filter = await resolveFilter(this.readDb, query);
    const row = await this.db.transaction().execute(async (tx) => {
      await this.pagePlanOnPostgres(tx);
      return tx
        .selectFrom('cards')
        .select(['created', 'card_instance_id'])
        .where((w) => pageConditions(w, filter, { after, limit: size }))
        .orderBy('created')
        .orderBy('card_instance_id')
        .offset(size - 1)
        .limit(1)
        .executeTakeFirst();
    });
    return row && { created: Number(row.created), cardInstanceId: row.card_instance_id };
  }

  /**
   * PostgreSQL must walk an index in page order and stop at the limit. Before a table's
   * statistics are gathered (autovacuum may be off) it misjudges how many cards match and
   * sorts all that remain instead, on every page: 50 ms for 10 cards of 100,000. With sorts
   * off, any statement that must still sort (the change log's) is costed past the JIT
   * threshold, and compiling it took 280 ms a page: JIT is off too. set_config(…, true) is
   * `set local`; one statement for all three.
   */
  private async pagePlanOnPostgres(tx: Transaction<Database>): Promise<void> {
    if (this.kind !== 'postgres') return;
    await sql`select set_config('enable_sort', 'off', true), set_config('enable_bitmapscan', 'off', true), set_config('jit', 'off', true)`.execute(tx);
  }

  /** Cards whose next lifecycle time is at or before `now`, earliest first. */
  async due(now: number, limit: number): Promise<CardRow[]> {
    const rows = await this.db
      .selectFrom('cards')
      .selectAll()
      .where('next_due', 'is not', null)
      .where('next_due', '<=', now)
      .orderBy('next_due')
      .limit(limit)
      .execute();
    return this.cardsOf(rows);
  }

  async earliestDue(): Promise<number | null> {
    const row = await this.db
      .selectFrom('cards')
      .select((eb) => eb.fn.min<number | null>('next_due').as('due'))
      .where('next_due', 'is not', null)
      .executeTakeFirst();
    return row?.due === null || row?.due === undefined ? null : Number(row.due);
  }

  /**
   * Moves a card to its next lifecycle state, if nobody else has already: the update is
   * guarded on the status and due time it was read with, so with several servers each
   * transition happens once. Returns whether this call made it.
   */
  async transition({ card, status, at, event }: Transition): Promise<boolean> {
    const times = { ...card, snoozed_until: status === 'snoozed' ? card.snoozed_until : null };
    const updatedRow = await this.write(async (tx, record) => {
      const updated = await tx
        .updateTable('cards')
        .set({
          status,
          updated: at,
          snoozed_until: times.snoozed_until,
          active_since: status === 'active' ? at : card.active_since,
          next_due: nextDue(status, times),
        })
        .where('card_instance_id', '=', card.card_instance_id)
        .where('status', '=', card.status)
        .where('next_due', '=', card.next_due)
        .returningAll()
        .executeTakeFirst();
      if (updated) {
        const [changed] = (await this.cardsOf([updated], tx)) as [CardRow];
        await this.storeEvents(tx, [platformEvent(changed, event, at, 'internal')]);
        await record([{ card: changed, previousStatus: card.status }]);
      }
      return updated;
    });
    return updatedRow !== undefined;
  }
}

async function countIn(tx: Transaction<Database>, filter: ResolvedFilter, states: readonly CardStatus[]): Promise<number> {
  const row = await tx
    .selectFrom('cards')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where((eb) => filterConditions(eb, filter, states))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Without multiple=1 and no eligible card: 404, a harmless 200 for a retry, or 409. */
async function explainNoEligibleCard(tx: Transaction<Database>, filter: ResolvedFilter, action: CardAction): Promise<void> {
  const rows = await tx
    .selectFrom('cards')
    .select('status')
    .distinct()
    .where((eb) => filterConditions(eb, filter))
    .limit(10)
    .execute();
  if (rows.length === 0) throw new NotFound('no_matching_cards', 'No card matches the query attributes.');
  const statuses = rows.map((r) => r.status);
  if (statuses.includes(END_STATE[action])) return;
  const accepted = ACTION_STATES[action].join(' or ');
  throw new InvalidState(
    'invalid_card_state',
    `The card is ${statuses.join(' / ')}; ${action} needs a card that is ${accepted}.`,
  );
}

function actionUpdate(action: CardAction, now: number, options: ActOptions) {
  switch (action) {
    case 'dismiss':
      return { status: 'dismissed', updated: now, next_due: null };
    case 'cancel':
      return { status: 'cancelled', updated: now, next_due: null };
    case 'complete':
      return {
        status: 'completed',
        updated: now,
        next_due: null,
        completion: JSON.stringify({ payload: options.completionPayload ?? null, at: new Date(now).toISOString() }),
      };
    case 'snooze': {
      const until = options.snoozeUntil as number;
      return {
        status: 'snoozed',
        updated: now,
        snoozed_until: until,
        // The card comes back at the snooze end unless it expires first.
        next_due: sql<number>`case when expires_at is not null and expires_at < ${until} then expires_at else ${until} end`,
      };
    }
  }
}

function actionProperties(action: CardAction, options: ActOptions): Record<string, unknown> {
  if (action === 'complete') return { payload: options.completionPayload ?? null };
  if (action === 'snooze') return { snoozedUntil: new Date(options.snoozeUntil as number).toISOString() };
  return {};
}

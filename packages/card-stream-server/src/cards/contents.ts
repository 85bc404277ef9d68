// What the cards of one flow share — the filled definition, the runtime variables, the
// template's name and the payload but its target — is stored once, in card_contents, and
// each card names it by key. A send to a million members would otherwise copy the same
// definition a million times: it was most of a card row. The key is a hash of the content,
// so a content is written once however many sends, pages and servers make it, and a
// content read once can be kept in memory for good (it never changes under its key).
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { CardPayload } from '../../../protocol/src/cards.js';
import type { CardContentsTable, CardsTable, Database } from '../store/schema.js';
import type { CardRow } from './row.js';
import { idOf, storedId } from '../ids.js';
import { StoredOnce } from '../store/stored-once.js';
import type { SqliteNow } from '../store/write-now.js';

/** A content and its payload's JSON text around the card's user, made once per key. */
export interface Content {
  row: CardContentsTable;
  /** The payload's JSON text up to its user id, and after it. */
  payloadBefore: string;
  payloadAfter: string;
}

/** Contents kept in memory, the least recently used dropped first. */
const KEEP = 2000;
/** Keys per read of missing contents. */
const CHUNK = 500;

/** The content of cards with these parts; `payload` is the cards' payload but its target. */
export function makeContent(cardTemplateName: string, definition: string, runtimeVariables: string, payload: Omit<CardPayload, 'target'>): Content {
  // The card's payload is exactly JSON.stringify({ detail, target: { usersById: [userId] },
  // cardOptions, metadata }), in that key order, as it was when each card had its own.
  const detail = JSON.stringify(payload.detail);
  const cardOptions = JSON.stringify(payload.cardOptions);
  const metadata = JSON.stringify(payload.metadata);
  const stored = `{"detail":${detail},"cardOptions":${cardOptions},"metadata":${metadata}}`;
  const key = createHash('sha256')
    .update(`${cardTemplateName}\0${definition}\0${runtimeVariables}\0${stored}`)
    // 96 bits: no two of even billions of contents share a key.
    .digest('base64url')
    .slice(0, 16);
  return {
    row: { key, card_template_name: cardTemplateName, definition, runtime_variables: runtimeVariables, payload: stored },
    payloadBefore: `{"detail":${detail},"target":{"usersById":[`,
    payloadAfter: `]},"cardOptions":${cardOptions},"metadata":${metadata}}`,
  };
}

/** The content stored as `row`. */
export function contentOf(row: CardContentsTable): Content {
  const payload = JSON.parse(row.payload) as Omit<CardPayload, 'target'>;
  return { ...makeContent(row.card_template_name, row.definition, row.runtime_variables, payload), row };
}

/** The payload JSON of a card of `content` sent to `userId`. */
export const payloadFor = (content: Content, userId: string): string => `${content.payloadBefore}${JSON.stringify(userId)}${content.payloadAfter}`;

/** The card as stored (its content is stored on its own: `CardContents.store`). */
export function storedCard(card: CardRow): CardsTable {
  return {
    card_instance_id: card.card_instance_id,
    lifecycle_id: storedId(card, 'lifecycle'),
    flow_instance_id: storedId(card, 'flowInstance'),
    flow_invocation_id: storedId(card, 'flowInvocation'),
    card_template_id: card.card_template_id,
    card_template_version: card.card_template_version,
    event_name: card.event_name,
    event_source: card.event_source,
    stream_id: card.stream_id,
    priority: card.priority,
    content_key: card.content_key,
    own_payload: card.own_payload,
    status: card.status,
    user_id: card.user_id,
    created: card.created,
    updated: card.updated,
    active_since: card.active_since,
    embargo_until: card.embargo_until,
    expires_at: card.expires_at,
    snoozed_until: card.snoozed_until,
    completion: card.completion,
    next_due: card.next_due,
    sent_by_job: card.sent_by_job,
    change_seq: card.change_seq,
  };
}

/** The card stored as `row`, its `content` filled in. */
function cardWithContent(row: CardsTable, content: Content): CardRow {
  return {
    ...row,
    lifecycle_id: idOf(row, row.lifecycle_id, 'lifecycle'),
    flow_instance_id: idOf(row, row.flow_instance_id, 'flowInstance'),
    flow_invocation_id: idOf(row, row.flow_invocation_id, 'flowInvocation'),
    card_template_name: content.row.card_template_name,
    definition: content.row.definition,
    runtime_variables: content.row.runtime_variables,
    payload: row.own_payload ?? payloadFor(content, row.user_id),
  };
}

export class CardContents {
  private readonly kept = new Map<string, Content>();
  /** Contents this process has stored or found stored, in transactions that committed. */
  private readonly stored = new StoredOnce();

  constructor(
    /** Where contents are read outside a transaction. */
    private readonly db: Kysely<Database>,
  ) {}

  /** Stores the contents not stored yet, inside `tx`. */
  async store(tx: Transaction<Database>, contents: readonly Content[]): Promise<void> {
    const rows = this.unstored(contents);
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      // Those stored already are looked up first: on PostgreSQL inserting a key that another
      // transaction has inserted and not yet committed waits for that transaction (a send
      // job's other lane, every page), where a read does not.
      const stored = new Set((await tx.selectFrom('card_contents').select('key').where('key', 'in', chunk.map((row) => row.key)).execute()).map((row) => row.key));
      const missing = chunk.filter((row) => !stored.has(row.key));
      if (missing.length) await tx.insertInto('card_contents').values(missing).onConflict((oc) => oc.column('key').doNothing()).execute();
    }
    this.stored.storing(tx, rows.map((row) => row.key));
  }

  /** SQLite: `store`, made synchronously inside the connection's transaction in progress, which `write` stands for. */
  storeNow(now: SqliteNow, write: object, contents: readonly Content[]): void {
    const rows = this.unstored(contents);
    now.insert('card_contents', rows, { ignoreConflictOn: 'key' });
    this.stored.storing(write, rows.map((row) => row.key));
  }

  /** The rows of `contents` not known to be stored, each once. */
  private unstored(contents: readonly Content[]): CardContentsTable[] {
    return [...new Map(contents.map((c) => [c.row.key, c.row])).values()].filter((row) => !this.kept.has(row.key) && !this.stored.has(row.key));
  }

  /** `tx`, which stored contents, has committed. */
  committed(tx: object): void {
    this.stored.committed(tx);
  }

  /** The cards `rows` are, their contents filled in; `db` is the transaction when inside one. */
  async cards(rows: readonly CardsTable[], db: Kysely<Database> = this.db): Promise<CardRow[]> {
    const contents = new Map<string, Content>();
    const missing = new Set<string>();
    for (const { content_key: key } of rows) {
      if (contents.has(key)) continue;
      const kept = this.kept.get(key);
      if (kept) contents.set(key, kept);
      else missing.add(key);
    }
    const keys = [...missing];
    for (let i = 0; i < keys.length; i += CHUNK) {
      const found = await db.selectFrom('card_contents').selectAll().where('key', 'in', keys.slice(i, i + CHUNK)).execute();
      for (const row of found) {
        const content = contentOf(row);
        contents.set(row.key, content);
        this.keep(content);
      }
    }
    return rows.map((row) => {
      const content = contents.get(row.content_key);
      if (!content) throw new Error(`card ${row.card_instance_id} names card content ${row.content_key}, which is not stored`);
      return cardWithContent(row, content);
    });
  }

  private keep(content: Content): void {
    this.kept.delete(content.row.key);
    if (this.kept.size >= KEEP) this.kept.delete(this.kept.keys().next().value as string);
    this.kept.set(content.row.key, content);
  }
}

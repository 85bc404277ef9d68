// Events that share their contexts store them once. A card-published event of a
// million-member send differs from its neighbours only in its ids and user: the rest of its
// JSON (the template, the flow, the send's variables and metadata) is the same for every
// member, and was most of the event's row. Such an event keeps its JSON as a template in
// event_contexts, with holes for its own values; the event's row holds the template's key and
// the values its columns do not (body: a JSON array). Reading puts the text back together, so
// the events API, the export and webhooks return the very bytes a whole stored body would.
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { AnalyticsEventsTable, Database, EventContextsTable } from '../store/schema.js';
import { iso } from '../time.js';
import { derivedId, eventIdKind } from '../ids.js';
import type { StoredOnce } from '../store/stored-once.js';
import type { SqliteNow } from '../store/write-now.js';

/** Holes filled from the event's own columns; any other hole takes the next value of its body. */
const COLUMN_HOLES = [
  'id',
  'analyticsEvent',
  'endUserId',
  'timestamp',
  'cardInstanceId',
  'lifecycleId',
  'flowInstanceIdOfCard',
  // The card's publishedAt when it is the event's own time (the events of a send).
  'publishedAtTimestamp',
  // The flow-invocation id made from the card's id (a send's first card, ids.ts).
  'flowInvocationIdOfCard',
] as const;
type ColumnHole = (typeof COLUMN_HOLES)[number];
const isColumnHole = (hole: string): hole is ColumnHole => (COLUMN_HOLES as readonly string[]).includes(hole);

/** An event's JSON text around its own values. */
export interface EventTemplate {
  key: string;
  /** The text between the holes: one more than there are holes. */
  parts: string[];
  holes: string[];
}

/** The columns a template's holes are filled from. */
export type EventHoleColumns = Pick<AnalyticsEventsTable, 'id' | 'analytics_event' | 'end_user_id' | 'timestamp' | 'card_instance_id' | 'lifecycle_id'>;

// A hole is marked in the event as a string no real value holds (its marker is new in each
// process); JSON.stringify writes it as "\u0000<marker><hole>\u0000".
const MARKER = randomBytes(9).toString('base64url');
const HOLE_TEXT = new RegExp(`"\\\\u0000${MARKER}(\\w+)\\\\u0000"`, 'g');

/** The value that stands for `hole` in an event given to `eventTemplate`. */
export const hole = (name: string): string => `\u0000${MARKER}${name}\u0000`;

/** The template of `event`, whose own values are `hole(…)`s (each column hole where its column's value goes). */
export function eventTemplate(event: unknown): EventTemplate {
  const text = JSON.stringify(event);
  const parts: string[] = [];
  const holes: string[] = [];
  let from = 0;
  for (const match of text.matchAll(HOLE_TEXT)) {
    parts.push(text.slice(from, match.index));
    holes.push(match[1] as string);
    from = (match.index as number) + match[0].length;
  }
  parts.push(text.slice(from));
  const stored = JSON.stringify({ parts, holes });
  return { key: createHash('sha256').update(stored).digest('base64url').slice(0, 16), parts, holes };
}

/** The body to store with `template` for an event whose own values, in the order of its non-column holes, are `values`. */
export function templateValues(template: EventTemplate, values: Record<string, unknown>): string {
  return JSON.stringify(valueHoles(template).map((h) => values[h]));
}

/** The holes of `template` whose values its events' bodies hold, in order. */
export function valueHoles(template: EventTemplate): string[] {
  return template.holes.filter((h) => !isColumnHole(h));
}

/** The JSON of an event made with `template`: its holes filled from `row`. */
export function fill(template: EventTemplate, row: EventHoleColumns & { body: string }): string {
  const values = JSON.parse(row.body) as unknown[];
  let next = 0;
  let text = template.parts[0] as string;
  template.holes.forEach((name, i) => {
    text += JSON.stringify(isColumnHole(name) ? columnValue(name, row) : valueOf(name, values[next++]));
    text += template.parts[i + 1] as string;
  });
  return text;
}

/** A value hole's text: a time kept as milliseconds (`…Ms`) is written as the ISO time it stands for. */
function valueOf(name: string, value: unknown): unknown {
  return name.endsWith('Ms') ? iso(Number(value)) : value;
}

function columnValue(name: ColumnHole, row: EventHoleColumns): string | null {
  switch (name) {
    case 'id':
      // '': one of a send's events, its id made from its card's (ids.ts).
      return row.id === '' ? (derivedId(row.card_instance_id as string, eventIdKind(row.analytics_event)) as string) : row.id;
    case 'analyticsEvent':
      return row.analytics_event;
    case 'endUserId':
      return row.end_user_id;
    case 'timestamp':
      return iso(Number(row.timestamp));
    case 'cardInstanceId':
      return row.card_instance_id;
    case 'lifecycleId':
      // '': made from the card's id (ids.ts).
      return row.lifecycle_id === '' ? (derivedId(row.card_instance_id as string, 'lifecycle') as string) : row.lifecycle_id;
    case 'flowInstanceIdOfCard':
      return derivedId(row.card_instance_id as string, 'flowInstance') as string;
    case 'publishedAtTimestamp':
      return iso(Number(row.timestamp));
    case 'flowInvocationIdOfCard':
      return derivedId(row.card_instance_id as string, 'flowInvocation') as string;
  }
}

/** Templates kept in memory (a template never changes under its key), the oldest dropped first. */
const KEEP = 2000;
const CHUNK = 500;

/** Stores the templates not stored yet, inside `tx`; `stored` knows those already committed. */
export async function storeTemplates(tx: Transaction<Database>, templates: readonly EventTemplate[], stored?: StoredOnce): Promise<void> {
  const rows = unstoredTemplates(templates, stored);
  for (let i = 0; i < rows.length; i += CHUNK) {
    await tx.insertInto('event_contexts').values(rows.slice(i, i + CHUNK)).onConflict((oc) => oc.column('key').doNothing()).execute();
  }
  stored?.storing(tx, rows.map((row) => row.key));
}

/** SQLite: `storeTemplates`, made synchronously inside the connection's transaction in progress, which `write` stands for. */
export function storeTemplatesNow(now: SqliteNow, write: object, templates: readonly EventTemplate[], stored?: StoredOnce): void {
  const rows = unstoredTemplates(templates, stored);
  now.insert('event_contexts', rows, { ignoreConflictOn: 'key' });
  stored?.storing(write, rows.map((row) => row.key));
}

/** The rows of `templates` that `stored` does not know, each once. */
function unstoredTemplates(templates: readonly EventTemplate[], stored?: StoredOnce): EventContextsTable[] {
  return [...new Map(templates.map((t) => [t.key, t])).values()]
    .filter((t) => !stored?.has(t.key))
    .map((t) => ({ key: t.key, template: JSON.stringify({ parts: t.parts, holes: t.holes }) }));
}

/** Reads stored events whole. */
export class EventContexts {
  private readonly kept = new Map<string, EventTemplate>();

  constructor(private readonly db: Kysely<Database>) {}

  /** The whole JSON of each stored event. */
  async bodies<R extends EventHoleColumns & { body: string; context_key: string | null }>(rows: readonly R[]): Promise<(Omit<R, 'body'> & { body: string })[]> {
    const templates = new Map<string, EventTemplate>();
    const missing = new Set<string>();
    for (const { context_key: key } of rows) {
      if (key === null || templates.has(key)) continue;
      const kept = this.kept.get(key);
      if (kept) templates.set(key, kept);
      else missing.add(key);
    }
    const keys = [...missing];
    for (let i = 0; i < keys.length; i += CHUNK) {
      for (const row of await this.db.selectFrom('event_contexts').selectAll().where('key', 'in', keys.slice(i, i + CHUNK)).execute()) {
        const { parts, holes } = JSON.parse(row.template) as Omit<EventTemplate, 'key'>;
        const template = { key: row.key, parts, holes };
        templates.set(row.key, template);
        this.kept.delete(row.key);
        if (this.kept.size >= KEEP) this.kept.delete(this.kept.keys().next().value as string);
        this.kept.set(row.key, template);
      }
    }
    return rows.map((row) => {
      if (row.context_key === null) return row;
      const template = templates.get(row.context_key);
      if (!template) throw new Error(`event ${row.id} names event context ${row.context_key}, which is not stored`);
      return { ...row, body: fill(template, row) };
    });
  }
}

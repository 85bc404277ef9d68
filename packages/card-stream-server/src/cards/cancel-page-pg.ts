// A page of a bulk cancel on PostgreSQL as one statement: the cards' update, their
// `card-cancelled` events, the users' sequences and the change log are written from the
// UPDATE … RETURNING inside the database. Building each card's event and change in Node and
// sending them back as parameters cost more than the database's own work per card (a
// million-card job spent ~70 µs of Node CPU a card, most of it writing parameters to the
// socket and collecting garbage).
//
// An event's JSON is a template (analytics/event-contexts.ts) made in JS from the card.
// Every card of a "group" (the card columns its template is made of) shares one, so the
// statement is given the templates of the groups already seen in this process; the cards of
// a group not seen yet are left without their event and come back to the caller, which
// makes their events in JS as any other write does, and learns their group's template.
import { sql, type Expression, type Transaction } from 'kysely';
import type { CardsTable, Database } from '../store/schema.js';
import type { EventTemplate } from '../analytics/event-contexts.js';
import { valueHoles } from '../analytics/event-contexts.js';

/** A cancelled card as the statement returns it: its change, numbered, and where it sits. */
export interface CancelledRow {
  card_instance_id: string;
  user_id: string;
  stream_id: string;
  seq: number | string;
  created: number | string;
  /** Its group, when no template of it was given: its event is not written yet. */
  grp: string | null;
}

/**
 * The columns a card-cancelled event's template is made of (platform-events.ts,
 * cardEventTemplate: the status, event name and action source are the same for every card
 * of a cancel job), as JSON text: an unambiguous key whatever the values hold. The
 * flow-invocation id stands as stored: '' where it is made from the card's id (the first card
 * of a send since 022; its template takes the id from the card's), else whole, as are those
 * made so of cards stored before: finer than the template needs there, never coarser.
 */
const GROUP = sql<string>`json_build_array(card_template_id, card_template_version, priority, stream_id, event_source,
  flow_invocation_id, content_key, own_payload, flow_instance_id = '')::text`;

/**
 * The values a card event's body holds, in order (platform-events.ts), when the card was
 * published before the event: the statement writes exactly these. (A card published in the
 * cancel's own millisecond gets the same text from either template.)
 */
const MADE_FLOW = ['properties', 'publishedAtMs'];
const KEPT_FLOW = ['properties', 'publishedAtMs', 'flowInstanceId'];

/** Whether the statement can write the body of events made with `template`. */
export function writableTemplate(template: EventTemplate): boolean {
  const holes = valueHoles(template).join();
  return holes === MADE_FLOW.join() || holes === KEPT_FLOW.join();
}

/**
 * Cancels the cards `page` picks (their keys, in page order, at most a page) and writes their
 * events (of the groups in `templates`) and changes; NOTIFY is left to the caller.
 */
export async function cancelPageStatement(
  tx: Transaction<Database>,
  page: Expression<{ card_instance_id: string }>,
  now: number,
  templates: ReadonlyMap<string, EventTemplate>,
): Promise<CancelledRow[]> {
  const groups = [...templates.keys()];
  const keys = groups.map((g) => (templates.get(g) as EventTemplate).key);
  // A UUIDv7 per event (ids.ts): the page's time, then a count within it (borrowing the next
  // millisecond every 4096 events, as timeOrderedId does), then gen_random_uuid's random bits.
  const eventId = sql<string>`substr(lpad(to_hex(${now}::bigint + n / 4096), 12, '0'), 1, 8) || '-' ||
    substr(lpad(to_hex(${now}::bigint + n / 4096), 12, '0'), 9, 4) || '-7' || lpad(to_hex(n % 4096), 3, '0') ||
    substr(gen_random_uuid()::text, 19)`;
  // templateValues' JSON array: properties ({} for a cancel), publishedAtMs (created), and
  // flowInstanceId when the card keeps its own (writableTemplate).
  const body = sql<string>`'[{},' || created::text || case when flow_instance_id = '' then '' else ',' || to_json(flow_instance_id)::text end || ']'`;
  const { rows } = await sql<CancelledRow>`
    with updated as (
      update cards set status = 'cancelled', updated = ${now}, next_due = null
      -- = any(array(…)): the page's keys first, each then found through the primary key. As
      -- \`in (…)\` PostgreSQL may hash the page and scan the whole table for it, every page.
      where card_instance_id = any(array(${page}))
      returning card_instance_id, user_id, stream_id, created, lifecycle_id, flow_instance_id, card_template_id, ${GROUP} as grp
    ),
    known as (select * from unnest(${groups}::text[], ${keys}::text[]) as k(grp, context_key)),
    marked as (
      select u.*, known.context_key, row_number() over () - 1 as n from updated u left join known using (grp)
    ),
    events as (
      insert into analytics_events (id, analytics_event, end_user_id, timestamp, card_instance_id, lifecycle_id, card_template_id, body, context_key)
      select ${eventId}, 'card-cancelled', user_id, ${now}::bigint, card_instance_id, lifecycle_id, card_template_id, ${body}, context_key
      from marked where context_key is not null
    ),
    counted as (select user_id, count(*) as n from updated group by user_id),
    -- Users in a fixed order, so two transactions lock their sequence rows in the same order
    -- and cannot deadlock each other (change-log.ts).
    numbered as (
      insert into user_sequences (user_id, last_seq)
      select user_id, n from counted order by user_id
      on conflict (user_id) do update set last_seq = user_sequences.last_seq + excluded.last_seq
      returning user_id, last_seq
    ),
    logged as (
      insert into card_changes (user_id, seq, card_instance_id, stream_id, status, at)
      select u.user_id, numbered.last_seq - count(*) over everything + row_number() over ordered,
        u.card_instance_id, u.stream_id, 'cancelled', ${now}::bigint
      from updated u join numbered using (user_id)
      window ordered as (partition by u.user_id order by u.created, u.card_instance_id), everything as (partition by u.user_id)
      returning card_instance_id, user_id, stream_id, seq
    )
    select logged.*, marked.created, case when marked.context_key is null then marked.grp end as grp
    from logged join marked using (card_instance_id)`.execute(tx);
  return rows;
}

/** The cards of `rows` whose events are still to be written, read whole. */
export async function unwrittenCards(tx: Transaction<Database>, rows: readonly CancelledRow[]): Promise<{ cards: CardsTable[]; groups: Map<string, string> }> {
  const groups = new Map<string, string>();
  for (const row of rows) if (row.grp !== null) groups.set(row.card_instance_id, row.grp);
  if (groups.size === 0) return { cards: [], groups };
  const cards = await tx.selectFrom('cards').selectAll().where('card_instance_id', 'in', [...groups.keys()]).execute();
  return { cards, groups };
}

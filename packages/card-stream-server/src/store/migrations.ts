// Numbered migrations, the same for SQLite and PostgreSQL. Add a new entry; never edit one
// that has shipped.
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { StoreKind } from './database.js';
import { makeContent, payloadFor } from '../cards/contents.js';
import { SEND_EVENTS } from '../analytics/events-query.js';
import { MAX_SPAN, SEND_SPAN } from '../analytics/event-spans.js';

type Db = Kysely<unknown>;

function init(kind: StoreKind): Migration {
  const serial = kind === 'postgres' ? 'bigserial' : 'integer';
  return {
    async up(db: Db) {
      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('credentials')
        .addColumn('client_id', 'text', (c) => c.primaryKey())
        .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
        .addColumn('roles', 'text', (c) => c.notNull())
        .addColumn('created', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('card_templates')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('stream_id', 'text', (c) => c.notNull())
        .addColumn('latest_version', 'integer', (c) => c.notNull())
        .addColumn('published_version', 'integer')
        .addColumn('created', 'bigint', (c) => c.notNull())
        .addColumn('updated', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('card_template_versions')
        .addColumn('template_id', 'text', (c) => c.notNull().references('card_templates.id'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('stream_id', 'text', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('runtime_variables', 'text', (c) => c.notNull())
        .addColumn('card_options', 'text', (c) => c.notNull())
        .addColumn('created', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('card_template_versions_pk', ['template_id', 'version'])
        .execute();

      await db.schema
        .createTable('cards')
        .addColumn('card_instance_id', 'text', (c) => c.primaryKey())
        .addColumn('lifecycle_id', 'text', (c) => c.notNull())
        .addColumn('flow_instance_id', 'text', (c) => c.notNull())
        .addColumn('flow_invocation_id', 'text', (c) => c.notNull())
        .addColumn('card_template_id', 'text', (c) => c.notNull())
        .addColumn('card_template_name', 'text', (c) => c.notNull())
        .addColumn('card_template_version', 'integer', (c) => c.notNull())
        .addColumn('event_name', 'text', (c) => c.notNull())
        .addColumn('event_source', 'text', (c) => c.notNull())
        .addColumn('stream_id', 'text', (c) => c.notNull())
        .addColumn('priority', 'integer', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('created', 'bigint', (c) => c.notNull())
        .addColumn('updated', 'bigint', (c) => c.notNull())
        .addColumn('active_since', 'bigint')
        .addColumn('embargo_until', 'bigint')
        .addColumn('expires_at', 'bigint')
        .addColumn('snoozed_until', 'bigint')
        .addColumn('completion', 'text')
        .addColumn('next_due', 'bigint')
        .execute();
      // Every query orders by (created, card_instance_id); each id attribute gets its own
      // index so an action on one lifecycleId among millions stays a point lookup.
      await db.schema.createIndex('cards_created').on('cards').columns(['created', 'card_instance_id']).execute();
      await db.schema.createIndex('cards_user').on('cards').columns(['user_id', 'created', 'card_instance_id']).execute();
      await db.schema.createIndex('cards_lifecycle').on('cards').column('lifecycle_id').execute();
      await db.schema.createIndex('cards_template').on('cards').columns(['card_template_id', 'created']).execute();
      await db.schema.createIndex('cards_flow_instance').on('cards').column('flow_instance_id').execute();
      await db.schema.createIndex('cards_flow_invocation').on('cards').column('flow_invocation_id').execute();
      await db.schema
        .createIndex('cards_next_due')
        .on('cards')
        .column('next_due')
        .where(sql.ref('next_due'), 'is not', null)
        .execute();

      await db.schema
        .createTable('analytics_events')
        .addColumn('seq', serial, (c) => (kind === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('analytics_event', 'text', (c) => c.notNull())
        .addColumn('end_user_id', 'text', (c) => c.notNull())
        .addColumn('timestamp', 'bigint', (c) => c.notNull())
        .addColumn('card_instance_id', 'text')
        .addColumn('lifecycle_id', 'text')
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('analytics_events_user').on('analytics_events').columns(['end_user_id', 'seq']).execute();
      await db.schema.createIndex('analytics_events_card').on('analytics_events').columns(['card_instance_id', 'seq']).execute();
    },
  };
}

/** Realtime delivery: each user's change sequence and log, and the SDK's idempotent actions. */
const realtime: Migration = {
  async up(db: Db) {
    // The template's runtime variables and defaults, kept with each card the SDK renders.
    await db.schema
      .alterTable('cards')
      .addColumn('runtime_variables', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();

    // The last sequence number handed out per user. Taking the next one locks the row
    // until commit, so one user's changes commit in sequence order, on any number of servers.
    await db.schema
      .createTable('user_sequences')
      .addColumn('user_id', 'text', (c) => c.primaryKey())
      .addColumn('last_seq', 'bigint', (c) => c.notNull())
      .execute();

    // What changed, kept for a while so a socket that reconnects gets exactly what it missed.
    await db.schema
      .createTable('card_changes')
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('card_instance_id', 'text', (c) => c.notNull())
      .addColumn('stream_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('card_changes_pk', ['user_id', 'seq'])
      .execute();
    await db.schema.createIndex('card_changes_at').on('card_changes').column('at').execute();

    await db.schema
      .createTable('sdk_actions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('card_instance_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('result', 'text', (c) => c.notNull())
      .addColumn('created', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sdk_actions_card').on('sdk_actions').columns(['card_instance_id', 'created']).execute();
  },
};

/** Bulk cancel jobs (CONTRACT §4): progress is kept per batch, so a job resumes after a restart. */
const cancelJobs: Migration = {
  async up(db: Db) {
    await db.schema
      .createTable('cancel_jobs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('criteria', 'text', (c) => c.notNull())
      .addColumn('matched', 'bigint', (c) => c.notNull())
      .addColumn('cancelled', 'bigint', (c) => c.notNull())
      .addColumn('requested_by', 'text', (c) => c.notNull())
      .addColumn('created', 'bigint', (c) => c.notNull())
      .addColumn('finished', 'bigint')
      .addColumn('error', 'text')
      // Where the job got to: the (created, card_instance_id) of the last card it looked at.
      .addColumn('cursor_created', 'bigint')
      .addColumn('cursor_id', 'text')
      // The server running the job holds it until this time, renewed every batch.
      .addColumn('locked_by', 'text')
      .addColumn('locked_until', 'bigint')
      .execute();
    await db.schema.createIndex('cancel_jobs_status').on('cancel_jobs').columns(['status', 'created']).execute();
  },
};

/** Analytics read side: events by template and name, webhooks with their delivery state. */
const analytics: Migration = {
  async up(db: Db) {
    // Insights count by template; events about a card carry its template from now on, and
    // the events stored before this migration get theirs from the cards table.
    await db.schema.alterTable('analytics_events').addColumn('card_template_id', 'text').execute();
    await sql`update analytics_events set card_template_id =
      (select c.card_template_id from cards c where c.card_instance_id = analytics_events.card_instance_id)
      where card_instance_id is not null`.execute(db);
    await db.schema.createIndex('analytics_events_name').on('analytics_events').columns(['analytics_event', 'seq']).execute();
    await db.schema.createIndex('analytics_events_lifecycle').on('analytics_events').columns(['lifecycle_id', 'seq']).execute();
    await db.schema.createIndex('analytics_events_timestamp').on('analytics_events').column('timestamp').execute();
    await db.schema
      .createIndex('analytics_events_template')
      .on('analytics_events')
      .columns(['card_template_id', 'timestamp'])
      .where(sql.ref('card_template_id'), 'is not', null)
      .execute();

    // One row per webhook holds its cursor (the last delivered seq), the batch being retried
    // and the lease that keeps two servers from delivering it at once.
    await db.schema
      .createTable('webhooks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('events', 'text', (c) => c.notNull())
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('created', 'bigint', (c) => c.notNull())
      .addColumn('last_seq', 'bigint', (c) => c.notNull())
      .addColumn('batch_end_seq', 'bigint')
      .addColumn('failing_since', 'bigint')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('last_error', 'text')
      .addColumn('locked_until', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('lock_owner', 'text')
      .execute();

    await db.schema
      .createTable('webhook_failed_batches')
      .addColumn('webhook_id', 'text', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
      .addColumn('first_seq', 'bigint', (c) => c.notNull())
      .addColumn('last_seq', 'bigint', (c) => c.notNull())
      .addColumn('event_count', 'integer', (c) => c.notNull())
      .addColumn('first_failure', 'bigint', (c) => c.notNull())
      .addColumn('failed_at', 'bigint', (c) => c.notNull())
      .addColumn('last_error', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('webhook_failed_batches_pk', ['webhook_id', 'first_seq'])
      .execute();
  },
};

/** Channels (CONTRACT §5, seed 004): cards without a lifecycle, shown to anyone with the link. */
const channels: Migration = {
  async up(db: Db) {
    await db.schema
      .createTable('channels')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created', 'bigint', (c) => c.notNull())
      // Moves with every change to the channel's cards: the feed's ETag.
      .addColumn('version', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('channel_cards')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('channel_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('blocks', 'text', (c) => c.notNull())
      .addColumn('created', 'bigint', (c) => c.notNull())
      .addColumn('updated', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('channel_cards_channel').on('channel_cards').columns(['channel_id', 'created', 'id']).execute();
    // Cards created per channel per UTC day; deleting a card does not give its place back.
    await db.schema
      .createTable('channel_daily_counts')
      .addColumn('channel_id', 'text', (c) => c.notNull())
      .addColumn('day', 'text', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('channel_daily_counts_pk', ['channel_id', 'day'])
      .execute();
    await db.schema
      .createTable('channel_interactions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('channel_id', 'text', (c) => c.notNull())
      .addColumn('card_id', 'text')
      .addColumn('block_id', 'text', (c) => c.notNull())
      .addColumn('button_id', 'text', (c) => c.notNull())
      .addColumn('created', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('channel_interactions_channel').on('channel_interactions').columns(['channel_id', 'created', 'id']).execute();
    await db.schema.createIndex('channel_interactions_card').on('channel_interactions').column('card_id').execute();
  },
};

/**
 * The indexes on the attributes many cards share (a template, a send, a flow) end in the
 * order every paged query uses, (created, card_instance_id). A bulk cancel page is then one
 * ordered range of the index that stops at its limit. Without the id at the end, PostgreSQL
 * may instead sort every remaining match for each page: with statistics not yet gathered on
 * a freshly filled table it did, and a million-card job slowed to 300 cards a second.
 */
const pagedIndexes: Migration = {
  async up(db: Db) {
    for (const [name, column] of [
      ['cards_template', 'card_template_id'],
      ['cards_flow_instance', 'flow_instance_id'],
      ['cards_flow_invocation', 'flow_invocation_id'],
    ] as const) {
      await db.schema.dropIndex(name).execute();
      await db.schema.createIndex(name).on('cards').columns([column, 'created', 'card_instance_id']).execute();
    }
  },
};

/** Idempotency-Key (CONTRACT §10): the first answer to each key, kept 24 hours. */
const idempotencyKeys: Migration = {
  async up(db: Db) {
    await db.schema
      .createTable('idempotency_keys')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('response', 'text', (c) => c.notNull())
      .addColumn('created', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'key'])
      .execute();
    await db.schema.createIndex('idempotency_keys_created').on('idempotency_keys').column('created').execute();
  },
};

/**
 * Audiences (CONTRACT §9). A profile keeps its attributes and tags as JSON (what the API
 * returns); each attribute and tag is also a row of its own, indexed, so a segment over a
 * million profiles is counted and listed from indexes. Send jobs snapshot their members at
 * the start (send_job_members) and claim each member in the transaction that sends its card,
 * so every member gets exactly one card however often a page is retried.
 */
function audiences(kind: StoreKind): Migration {
  const withoutRowid = kind === 'sqlite' ? sql`without rowid` : sql``;
  const real = kind === 'postgres' ? 'double precision' : 'real';
  return {
    async up(db: Db) {
      await db.schema
        .createTable('user_profiles')
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('attributes', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('created', 'bigint', (c) => c.notNull())
        .addColumn('updated', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('user_tags')
        .addColumn('tag', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('user_tags_pk', ['tag', 'user_id'])
        .modifyEnd(withoutRowid)
        .execute();
      await db.schema
        .createTable('user_attributes')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        // s: text_value holds it; n: num_value; b: num_value, 1 or 0.
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('text_value', 'text')
        .addColumn('num_value', real as 'real')
        .addPrimaryKeyConstraint('user_attributes_pk', ['name', 'user_id'])
        .modifyEnd(withoutRowid)
        .execute();
      await db.schema.createIndex('user_attributes_text').on('user_attributes').columns(['name', 'text_value']).where(sql.ref('text_value'), 'is not', null).execute();
      await db.schema.createIndex('user_attributes_num').on('user_attributes').columns(['name', 'num_value']).where(sql.ref('num_value'), 'is not', null).execute();
      await db.schema
        .createTable('segments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('filter', 'text', (c) => c.notNull())
        .addColumn('created', 'bigint', (c) => c.notNull())
        .addColumn('updated', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('send_jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('flow_invocation_id', 'text', (c) => c.notNull())
        .addColumn('template_id', 'text', (c) => c.notNull())
        .addColumn('template_version', 'integer', (c) => c.notNull())
        .addColumn('event_source', 'text', (c) => c.notNull())
        .addColumn('flows', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        // null until the members are snapshotted
        .addColumn('matched', 'bigint')
        .addColumn('sent', 'bigint', (c) => c.notNull())
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('created', 'bigint', (c) => c.notNull())
        .addColumn('finished', 'bigint')
        .addColumn('error', 'text')
        .addColumn('locked_by', 'text')
        .addColumn('locked_until', 'bigint')
        .execute();
      await db.schema.createIndex('send_jobs_status').on('send_jobs').columns(['status', 'created']).execute();
      await db.schema
        .createTable('send_job_members')
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        // Which flow of the request the member came from (its card's payload).
        .addColumn('flow', 'integer', (c) => c.notNull())
        .addColumn('sent', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('send_job_members_pk', ['job_id', 'user_id'])
        .modifyEnd(withoutRowid)
        .execute();
    },
  };
}

/**
 * Issue 15: a send to a million members stored its card's definition, and its
 * card-published event's contexts, a million times. What the cards of one flow share (the
 * filled definition, runtime variables, template name, the payload but its user) moves to
 * card_contents, named by each card's content_key (cards/contents.ts); events keep what they
 * share in event_contexts (analytics/event-contexts.ts). Nothing stored before is lost: each
 * card gets the content its own columns make, and keeps its payload as its own_payload
 * unless its content's payload addressed to it is the very same text; events stored before
 * keep their whole body. Each flow instance has one card, so its index needs no order.
 */
const sharedContents: Migration = {
  async up(untyped: Db) {
    const db = untyped as Kysely<any>;
    await db.schema
      .createTable('card_contents')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('card_template_name', 'text', (c) => c.notNull())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('runtime_variables', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('event_contexts')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('template', 'text', (c) => c.notNull())
      .execute();
    await db.schema.alterTable('analytics_events').addColumn('context_key', 'text').execute();
    await db.schema.alterTable('cards').addColumn('content_key', 'text').execute();
    await db.schema.alterTable('cards').addColumn('own_payload', 'text').execute();

    for (let after = ''; ; ) {
      const cards = (await db
        .selectFrom('cards')
        .select(['card_instance_id', 'user_id', 'card_template_name', 'definition', 'runtime_variables', 'payload'])
        .where('card_instance_id', '>', after)
        .orderBy('card_instance_id')
        .limit(1000)
        .execute()) as { card_instance_id: string; user_id: string; card_template_name: string; definition: string; runtime_variables: string; payload: string }[];
      if (cards.length === 0) break;
      const byKey = new Map<string, string[]>();
      const contents = new Map<string, ReturnType<typeof makeContent>['row']>();
      for (const card of cards) {
        let parsed: Record<string, unknown> = {};
        try {
          const value: unknown = JSON.parse(card.payload);
          if (value && typeof value === 'object' && !Array.isArray(value)) parsed = value as Record<string, unknown>;
        } catch {
          // not JSON: kept whole as the card's own payload below
        }
        const content = makeContent(card.card_template_name, card.definition, card.runtime_variables, {
          detail: (parsed.detail ?? {}) as Record<string, string>,
          cardOptions: (parsed.cardOptions ?? {}) as Record<string, never>,
          metadata: (parsed.metadata ?? {}) as Record<string, unknown>,
        });
        contents.set(content.row.key, content.row);
        if (payloadFor(content, card.user_id) === card.payload) {
          byKey.set(content.row.key, [...(byKey.get(content.row.key) ?? []), card.card_instance_id]);
        } else {
          await db.updateTable('cards').set({ content_key: content.row.key, own_payload: card.payload }).where('card_instance_id', '=', card.card_instance_id).execute();
        }
      }
      await db.insertInto('card_contents').values([...contents.values()]).onConflict((oc) => oc.column('key').doNothing()).execute();
      for (const [key, ids] of byKey) await db.updateTable('cards').set({ content_key: key }).where('card_instance_id', 'in', ids).execute();
      after = (cards.at(-1) as { card_instance_id: string }).card_instance_id;
    }
    for (const column of ['definition', 'payload', 'runtime_variables', 'card_template_name']) {
      await db.schema.alterTable('cards').dropColumn(column).execute();
    }
    await db.schema.dropIndex('cards_flow_instance').execute();
    await db.schema.createIndex('cards_flow_instance').on('cards').column('flow_instance_id').execute();
  },
};

/**
 * Fewer writes per card of a big send. A job's member is claimed by deleting its row (it
 * was marked sent), so `sent` goes, with the rows already marked. On SQLite each user's
 * sequence and the change log are keyed tables (WITHOUT ROWID): a change was a row plus an
 * entry in the index of its key, and is now one entry.
 */
function leanerChanges(kind: StoreKind): Migration {
  return {
    async up(db: Db) {
      await sql`delete from send_job_members where sent <> 0`.execute(db);
      await db.schema.alterTable('send_job_members').dropColumn('sent').execute();
      if (kind !== 'sqlite') return;
      await sql`create table user_sequences_keyed (user_id text primary key, last_seq bigint not null) without rowid`.execute(db);
      await sql`insert into user_sequences_keyed (user_id, last_seq) select user_id, last_seq from user_sequences`.execute(db);
      await sql`drop table user_sequences`.execute(db);
      await sql`alter table user_sequences_keyed rename to user_sequences`.execute(db);
      await sql`create table card_changes_keyed (user_id text not null, seq bigint not null, card_instance_id text not null,
        stream_id text not null, status text not null, at bigint not null, constraint card_changes_pk primary key (user_id, seq)) without rowid`.execute(db);
      await sql`insert into card_changes_keyed (user_id, seq, card_instance_id, stream_id, status, at)
        select user_id, seq, card_instance_id, stream_id, status, at from card_changes`.execute(db);
      await sql`drop table card_changes`.execute(db);
      await sql`alter table card_changes_keyed rename to card_changes`.execute(db);
      await db.schema.createIndex('card_changes_at').on('card_changes').column('at').execute();
    },
  };
}

/**
 * A card's lifecycle and flow-instance ids are made from its id (ids.ts) and stored as '';
 * their indexes (and that of events by lifecycle) keep only the ids stored whole, so a card
 * or event of a send adds no entry to them. Stored ids are not touched.
 */
const madeIds: Migration = {
  async up(db: Db) {
    for (const [table, index, columns] of [
      ['cards', 'cards_lifecycle', ['lifecycle_id']],
      ['cards', 'cards_flow_instance', ['flow_instance_id']],
      ['analytics_events', 'analytics_events_lifecycle', ['lifecycle_id', 'seq']],
    ] as const) {
      await db.schema.dropIndex(index).execute();
      await db.schema.createIndex(index).on(table).columns([...columns]).where(sql.ref(columns[0]), '<>', '').execute();
    }
  },
};

/**
 * Event ids are unique among events stored whole (those whose id a client chose: SDK
 * uploads and votes, which come again when retried); a platform event's id is a new UUIDv7
 * and its index entry was one more per card of a send. SQLite cannot drop a column's UNIQUE,
 * so there the table is copied, seq values and the seq counter kept (webhook cursors are
 * seq values).
 */
function partialEventIds(kind: StoreKind): Migration {
  return {
    async up(db: Db) {
      if (kind === 'postgres') {
        await sql`alter table analytics_events drop constraint analytics_events_id_key`.execute(db);
      } else {
        await sql`create table analytics_events_copy (seq integer primary key autoincrement, id text not null,
          analytics_event text not null, end_user_id text not null, timestamp bigint not null, card_instance_id text,
          lifecycle_id text, body text not null, card_template_id text, context_key text)`.execute(db);
        await sql`insert into analytics_events_copy (seq, id, analytics_event, end_user_id, timestamp, card_instance_id, lifecycle_id, body, card_template_id, context_key)
          select seq, id, analytics_event, end_user_id, timestamp, card_instance_id, lifecycle_id, body, card_template_id, context_key from analytics_events`.execute(db);
        await sql`delete from sqlite_sequence where name = 'analytics_events_copy'`.execute(db);
        await sql`update sqlite_sequence set name = 'analytics_events_copy' where name = 'analytics_events'`.execute(db);
        await sql`drop table analytics_events`.execute(db);
        await sql`alter table analytics_events_copy rename to analytics_events`.execute(db);
        await db.schema.createIndex('analytics_events_user').on('analytics_events').columns(['end_user_id', 'seq']).execute();
        await db.schema.createIndex('analytics_events_card').on('analytics_events').columns(['card_instance_id', 'seq']).execute();
        await db.schema.createIndex('analytics_events_name').on('analytics_events').columns(['analytics_event', 'seq']).execute();
        await db.schema.createIndex('analytics_events_lifecycle').on('analytics_events').columns(['lifecycle_id', 'seq']).where(sql.ref('lifecycle_id'), '<>', '').execute();
        await db.schema.createIndex('analytics_events_timestamp').on('analytics_events').column('timestamp').execute();
        await db.schema
          .createIndex('analytics_events_template')
          .on('analytics_events')
          .columns(['card_template_id', 'timestamp'])
          .where(sql.ref('card_template_id'), 'is not', null)
          .execute();
      }
      await db.schema.createIndex('analytics_events_id').on('analytics_events').column('id').unique().where(sql.ref('context_key'), 'is', null).execute();
    },
  };
}

/**
 * PostgreSQL: each page of the cards table keeps half its room for the next version of its
 * rows. A card's update that changes no indexed column (a cancel, dismiss or complete of a
 * card with nothing due) can then stay on its page as a HOT update, and adds no entry to
 * any of the table's seven indexes: a bulk cancel changes every card of a page in one
 * transaction, so a page needs room for all of them (at 70 only some fit, measured).
 * Measured on a page of 5,000 cards: the UPDATE took 150 ms and wrote 11 MB of WAL; with
 * room, 42 ms and 0.6 MB. The cost is a heap twice as large; the indexes, larger together,
 * stay as they are. Cards stored before keep their pages full until rewritten. The users'
 * sequences likewise: a cancel page advances thousands of them, each a HOT update with
 * room (a third fewer WAL records for those rows, measured); the table is small.
 */
function roomForUpdates(kind: StoreKind): Migration {
  return {
    async up(db: Db) {
      if (kind !== 'postgres') return;
      await sql`alter table cards set (fillfactor = 50)`.execute(db);
      await sql`alter table user_sequences set (fillfactor = 50)`.execute(db);
    },
  };
}

/** analytics_events_name without the events every send makes (analytics/events-query.ts, SEND_EVENTS). */
const eventNameIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex('analytics_events_name').execute();
    await db.schema
      .createIndex('analytics_events_name')
      .on('analytics_events')
      .columns(['analytics_event', 'seq'])
      .where(sql.ref('analytics_event'), 'not in', [...SEND_EVENTS])
      .execute();
  },
};

/** A send's three events of a card are one row (analytics/event-spans.ts): its `span`. */
const sendEventSpans: Migration = {
  async up(db: Db) {
    await db.schema.alterTable('analytics_events').addColumn('span', 'integer').execute();
  },
};

/**
 * PostgreSQL: every seq handed out is 3 past the last, so a row that stands for a send's
 * three events (analytics/event-spans.ts) takes the two before its own too. Seqs were never
 * consecutive there (a rolled-back insert leaves a gap), and bigint leaves room for
 * 3 × 10^18 of them.
 */
function eventSeqsLeaveRoom(kind: StoreKind): Migration {
  return {
    async up(db: Db) {
      if (kind === 'postgres') await stepEventSeqs(db, SEND_SPAN);
    },
  };
}

/**
 * PostgreSQL: every seq the events' sequence hands out is `step` past the last. The sequence
 * is marked as used: the next seq is its last value + `step` whether or not one was handed
 * out yet (a new store's first would otherwise be 1, with no room before it).
 */
async function stepEventSeqs(db: Db, step: number): Promise<void> {
  const { rows } = await sql<{ name: string }>`select pg_get_serial_sequence('analytics_events', 'seq') as name`.execute(db);
  const { name } = rows[0] as { name: string };
  await sql`alter sequence ${sql.raw(name)} increment by ${sql.lit(step)}`.execute(db);
  await sql`select setval(${name}, (select last_value from ${sql.raw(name)}), true)`.execute(db);
}

/**
 * Issue 15: a send job's cards are found by their flow invocation through the job, not the
 * index on flow_invocation_id. A job's cards are all of one template and made no earlier than
 * the job's `cards_from`, so (template, created ≥ cards_from) is a range of cards_template in
 * the order every paged query uses (cards/filter.ts); that index entry was one more per card
 * of a million-member send (about 100 bytes on SQLite). The cards the jobs made so far are
 * marked, and each job's cards_from is the earlier of its creation and its first card.
 */
const jobCardsByJob: Migration = {
  async up(untyped: Db) {
    const db = untyped as Kysely<any>;
    await db.schema.alterTable('cards').addColumn('sent_by_job', 'integer').execute();
    await db.schema.alterTable('send_jobs').addColumn('cards_from', 'bigint').execute();
    const jobs = (await db.selectFrom('send_jobs').select(['id', 'flow_invocation_id', 'created']).execute()) as { id: string; flow_invocation_id: string; created: number | string }[];
    for (const job of jobs) {
      const first = (await db.selectFrom('cards').select((eb: any) => eb.fn.min('created').as('created')).where('flow_invocation_id', '=', job.flow_invocation_id).executeTakeFirst()) as { created: number | string | null } | undefined;
      const from = Math.min(Number(job.created), first?.created === null || first?.created === undefined ? Infinity : Number(first.created));
      await db.updateTable('send_jobs').set({ cards_from: from }).where('id', '=', job.id).execute();
      await db.updateTable('cards').set({ sent_by_job: 1 }).where('flow_invocation_id', '=', job.flow_invocation_id).execute();
    }
    await db.schema.createIndex('send_jobs_invocation').on('send_jobs').column('flow_invocation_id').unique().execute();
    await remakeInvocationIndex(db, { leaveOutMade: false });
  },
};

/** cards_flow_invocation made again over the cards no job made (016), and of those, since 022, only the ids stored whole. */
async function remakeInvocationIndex(db: Db, { leaveOutMade }: { leaveOutMade: boolean }): Promise<void> {
  await db.schema.dropIndex('cards_flow_invocation').execute();
  const index = db.schema.createIndex('cards_flow_invocation').on('cards').columns(['flow_invocation_id', 'created', 'card_instance_id']).where(sql.ref('sent_by_job'), 'is', null);
  await (leaveOutMade ? index.where(sql.ref('flow_invocation_id'), '<>', '') : index).execute();
}

/**
 * SQLite: the cards table keyed by card_instance_id (WITHOUT ROWID). A card was a row under
 * a rowid plus an entry in the index on its id: now the row sits under its id, and the
 * other indexes, each of which ends in card_instance_id already, name it by that. A card of
 * a million-member send is one B-tree entry and about 50 bytes less. The table is copied
 * whole, its indexes made again as they were.
 */
function cardsKeyedById(kind: StoreKind): Migration {
  return {
    async up(db: Db) {
      if (kind !== 'sqlite') return;
      const { rows: tables } = await sql<{ sql: string }>`select sql from sqlite_master where type = 'table' and name = 'cards'`.execute(db);
      const { rows: indexes } = await sql<{ sql: string }>`select sql from sqlite_master where type = 'index' and tbl_name = 'cards' and sql is not null`.execute(db);
      const create = (tables[0] as { sql: string }).sql.replace(/^CREATE TABLE "?cards"?/i, 'CREATE TABLE "cards_keyed"');
      await sql.raw(`${create} without rowid`).execute(db);
      await sql`insert into cards_keyed select * from cards`.execute(db);
      await sql`drop table cards`.execute(db);
      await sql`alter table cards_keyed rename to cards`.execute(db);
      for (const index of indexes) await sql.raw(index.sql).execute(db);
    },
  };
}

/**
 * Issue 15: a send job's page records its cards' card-published events as rows of up to
 * MAX_SPAN (512) events (analytics/job-page-events.ts), each naming its cards in `job_page`.
 * On PostgreSQL every seq handed out is now MAX_SPAN past the last, so such a row has room
 * for them before its own; as with 019, the sequence is marked as used.
 */
function jobPageEvents(kind: StoreKind): Migration {
  return {
    async up(db: Db) {
      await db.schema.alterTable('analytics_events').addColumn('job_page', 'text').execute();
      if (kind === 'postgres') await stepEventSeqs(db, MAX_SPAN);
    },
  };
}

/**
 * Issue 15: the change that makes a card is kept as the card's change_seq, not as a row of
 * card_changes (cards/change-log.ts): a million-member send wrote a million log rows, about
 * 180 bytes a card on PostgreSQL. The log's rows of cards made before stay as they are.
 */
const madeChangeOnCard: Migration = {
  async up(db: Db) {
    await db.schema.alterTable('cards').addColumn('change_seq', 'bigint').execute();
  },
};

/**
 * The first card of a send stores '' for its flow-invocation id, which is made from its own
 * (ids.ts): the index on flow_invocation_id holds only the ids stored whole, and a one-user
 * send adds no entry to it (a B-tree insert and a page of WAL fewer a send on SQLite). The
 * `<> ''` is written out in the queries (cards/filter.ts) so that SQLite uses the index.
 * Cards stored before keep theirs whole.
 */
const invocationMadeFromCard: Migration = {
  up: (db: Db) => remakeInvocationIndex(db, { leaveOutMade: true }),
};

/**
 * Issue 15, PostgreSQL: a card's id and its template's id (always UUIDs: ids.ts, and
 * templates/repository.ts) stored as `uuid`, in the cards and in the change log: 16 bytes
 * where text took 37, in the row and in each of the four indexes a card of a send job pays
 * for (a million-member send: about 255 bytes a card less, measured). Queries compare them only
 * with UUIDs (store/uuid-columns.ts). The table is rewritten once here, its indexes made
 * again. The cards keep half of each page free (014): at fill factor 100 a million-card
 * cancel took 99 s instead of 44 (bench/cancel.ts), every update then writing a new entry
 * in each index. user_sequences keeps a tenth free from here on (its new pages): a cancel
 * page advances a few of a page's sequence rows at a time, and the space of their old
 * versions is reclaimed before the next page, so a tenth is room enough for updates in
 * place (the cancel took 38-41 s; at 100, 57 s), and a user's row takes 58 bytes where it
 * took 105.
 */
function uuidCardIds(kind: StoreKind): Migration {
  return {
    async up(db: Db) {
      if (kind !== 'postgres') return;
      await sql`alter table user_sequences set (fillfactor = 90)`.execute(db);
      await sql`alter table cards alter column card_instance_id type uuid using card_instance_id::uuid,
        alter column card_template_id type uuid using card_template_id::uuid`.execute(db);
      await sql`alter table card_changes alter column card_instance_id type uuid using card_instance_id::uuid`.execute(db);
    },
  };
}

/**
 * Issue 15, PostgreSQL: each new page of cards keeps 15% of its room free where it kept half
 * (014). That room is for the next versions of a page's cards; a bulk cancel used to change
 * every card of a page in one transaction and needed room for all of them. It now goes over
 * each range in passes (cancel-jobs/run.ts), each changing an eighth of a page's cards, whose
 * versions fit, and whose old ones the next pass reclaims. A card of a million-member send
 * takes 256 bytes of table where it took 431. A card's own change (a dismiss, a
 * snooze) needs room for one version, as before. Pages written before keep their layout.
 */
function cardsRoomForPasses(kind: StoreKind): Migration {
  return {
    async up(db: Db) {
      if (kind === 'postgres') await sql`alter table cards set (fillfactor = 85)`.execute(db);
    },
  };
}

export function migrationProvider(kind: StoreKind): MigrationProvider {
  return {
    getMigrations: async () => ({
      '001_init': init(kind),
      '002_realtime': realtime,
      '003_analytics': analytics,
      '004_cancel_jobs': cancelJobs,
      '005_channels': channels,
      '006_paged_indexes': pagedIndexes,
      '007_idempotency_keys': idempotencyKeys,
      '008_audiences': audiences(kind),
      '009_shared_contents': sharedContents,
      '010_leaner_changes': leanerChanges(kind),
      '011_made_ids': madeIds,
      '012_partial_event_ids': partialEventIds(kind),
      '014_cards_room_for_updates': roomForUpdates(kind),
      '015_event_name_index': eventNameIndex,
      '016_job_cards_by_job': jobCardsByJob,
      '017_cards_keyed_by_id': cardsKeyedById(kind),
      '018_send_event_spans': sendEventSpans,
      '019_event_seqs_leave_room': eventSeqsLeaveRoom(kind),
      '020_job_page_events': jobPageEvents(kind),
      '021_made_change_on_card': madeChangeOnCard,
      '022_invocation_made_from_card': invocationMadeFromCard,
      '023_uuid_card_ids': uuidCardIds(kind),
      '024_cards_room_for_passes': cardsRoomForPasses(kind),
    }),
  };
}

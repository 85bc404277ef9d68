// Numbered migrations, the same for SQLite and PostgreSQL. Add a new entry; never edit one
// that has shipped.
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { StoreKind } from './database.js';

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

export function migrationProvider(kind: StoreKind): MigrationProvider {
  return { getMigrations: async () => ({ '001_init': init(kind), '002_realtime': realtime }) };
}

// Fills the cards table fast for tests and benchmarks: copies of one real card row with
// fresh time-ordered ids, spread over `users` users, generated inside the database (a
// recursive CTE on SQLite, generate_series on PostgreSQL) instead of sent row by row.
import { sql } from 'kysely';
import type { Store } from '../../packages/card-stream-server/src/store/database.js';
import type { CardsTable } from '../../packages/card-stream-server/src/store/schema.js';

const BATCH = 100_000;

export async function fillCards(store: Store, model: CardsTable, count: number, users: number, userPrefix = 'user-'): Promise<void> {
  const base = Date.now();
  for (let done = 0; done < count; done += BATCH) {
    const n = Math.min(BATCH, count - done);
    const numbers =
      store.kind === 'postgres'
        ? sql`(select g as k from generate_series(${done}::bigint, ${done + n - 1}::bigint) as g) as s`
        : sql`(with recursive s(k) as (select ${done} union all select k + 1 from s where k + 1 < ${done + n}) select k from s) as s`;
    const at = sql`(${base} + s.k)`;
    // UUIDv7-shaped like the platform's own (packages/card-stream-server/src/ids.ts): time first, so the ids of
    // cards sent one after another sort together, as they do in production.
    const newId =
      store.kind === 'postgres'
        ? sql`format('%s-%s-7%s-8%s-%s', lpad(to_hex(${at} >> 16), 8, '0'), lpad(to_hex(${at} & 65535), 4, '0'),
            substr(md5(random()::text), 1, 3), substr(md5(random()::text), 1, 3), substr(md5(random()::text), 1, 12))`
        : sql`lower(printf('%08x-%04x-7%s-8%s-%s', ${at} >> 16, ${at} & 65535, substr(hex(randomblob(2)), 2),
            substr(hex(randomblob(2)), 2), hex(randomblob(6))))`;
    await sql`
      insert into cards (card_instance_id, lifecycle_id, flow_instance_id, flow_invocation_id, card_template_id,
        card_template_version, event_name, event_source, stream_id, priority, content_key, own_payload,
        status, user_id, created, updated, active_since, embargo_until, expires_at, snoozed_until, completion, next_due)
      select ${store.kind === 'postgres' ? sql`${newId}::uuid` : newId}, ${newId}, ${newId}, ${model.flow_invocation_id}, ${model.card_template_id},
        ${model.card_template_version}, ${model.event_name}, ${model.event_source},
        ${model.stream_id}, ${model.priority}, ${model.content_key}, ${model.own_payload}, ${model.status},
        cast(${userPrefix} as text) || cast(s.k % ${users} as text), ${at}, ${at}, ${at}, null, null, null, null, null
      from ${numbers}`.execute(store.db);
  }
}

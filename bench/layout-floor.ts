// The floor under an audience send on SQLite: better-sqlite3 alone, with nothing of the
// server, writing what a send job writes per member, in the store's own layout. It copies
// the schema of the tables a page touches from a store the send has just filled, and one real
// row of each, then runs the job's page loop on a scratch file: claim a page of members (a
// range of user ids, deleted), insert their cards and card-published events (one row a page
// when the store keeps them so), advance their sequences, each card carrying its change's number, commit. What is left between this and the send's time is
// the server's; what this takes is the layout's.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import { SEND_SPAN } from '../packages/card-stream-server/src/analytics/event-spans.js';
import { CARDS_A_ROW } from '../packages/card-stream-server/src/analytics/job-page-events.js';

const TABLES = ['cards', 'analytics_events', 'card_changes', 'user_sequences', 'send_job_members'];
const PAGE = 5000;

export interface LayoutFloor {
  seconds: number;
  /** Bytes a card of the tables written, the members' table aside. */
  bytesPerCard: number;
}

/** Sends `members` members their cards in the layout of the store in `storeFile`, as fast as SQLite alone can. */
export async function layoutFloor(storeFile: string, members: number, userId: (i: number) => string): Promise<LayoutFloor> {
  const source = new BetterSqlite3(storeFile, { readonly: true, fileMustExist: true });
  const names = TABLES.map((t) => `'${t}'`).join();
  const schema = source.prepare(`select sql from sqlite_master where tbl_name in (${names}) and sql is not null order by type = 'index'`).all() as { sql: string }[];
  const card = source.prepare('select * from cards where sent_by_job = 1 limit 1').get() as Record<string, unknown>;
  // A page's events are a row per CARDS_A_ROW of its cards (analytics/job-page-events.ts), else a row a card.
  const pageEvent = source.prepare('select * from analytics_events where job_page is not null limit 1').get() as Record<string, unknown> | undefined;
  const event = pageEvent ?? (source.prepare(`select * from analytics_events where analytics_event = 'card-published' and id = '' limit 1`).get() as Record<string, unknown>);
  source.close();
  if (!card || !event) throw new Error('layout floor: the store holds no send to copy');

  const dir = await mkdtemp(join(tmpdir(), 'cs-floor-'));
  const db = new BetterSqlite3(join(dir, 'floor.sqlite'));
  try {
    // As the server's connection (store/database.ts).
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -65536');
    db.pragma('wal_autocheckpoint = 0');
    for (const { sql } of schema) db.exec(sql);
    const addMember = db.prepare(`insert into send_job_members (job_id, user_id, flow) values ('job', ?, 0)`);
    db.transaction(() => {
      for (let i = 0; i < members; i++) addMember.run(userId(i));
    })();
    /** A statement inserting `row` with the named columns varied: `run(values)` gives those in order. */
    const insert = (table: string, row: Record<string, unknown>, varied: string[]) => {
      const columns = Object.keys(row).filter((c) => !(table === 'analytics_events' && c === 'seq'));
      const statement = db.prepare(`insert into ${table} (${columns.join()}) values (${columns.map(() => '?').join()})`);
      const base = columns.map((c) => row[c]);
      const at = varied.map((c) => columns.indexOf(c));
      return (values: unknown[]) => {
        const params = base.slice();
        for (let i = 0; i < at.length; i++) params[at[i] as number] = values[i];
        statement.run(params);
      };
    };
    const cards = insert('cards', card, ['card_instance_id', 'user_id', 'created', 'updated', 'active_since', 'change_seq']);
    const events = insert('analytics_events', event, ['end_user_id', 'card_instance_id', 'timestamp']);
    const pageEvents = insert('analytics_events', event, ['span', 'timestamp']);
    const bound = db.prepare(`select user_id from send_job_members where job_id = 'job' and user_id > ? order by user_id limit 1 offset ${PAGE - 1}`);
    const claim = db.prepare(`delete from send_job_members where job_id = 'job' and user_id > ? and user_id <= ? returning user_id`);
    const sequence = db.prepare('insert into user_sequences (user_id, last_seq) values (?, 1) on conflict (user_id) do update set last_seq = last_seq + 1 returning last_seq');
    const prefix = String(card.card_instance_id).slice(0, 19);
    let counter = 0;
    const started = performance.now();
    for (let after = ''; ; ) {
      const last = (bound.get(after) as { user_id: string } | undefined)?.user_id;
      db.transaction(() => {
        const now = Date.now();
        const claimed = claim.all(after, last ?? '\uffff') as { user_id: string }[];
        for (const { user_id } of claimed) {
          const id = `${prefix}${(counter++).toString(16).padStart(16, '0').replace(/^(.{4})/, '$1-')}`;
          const { last_seq } = sequence.get(user_id) as { last_seq: number };
          cards([id, user_id, now, now, now, last_seq]);
          if (!pageEvent) events([user_id, id, now]);
        }
        if (pageEvent) for (let i = 0; i < claimed.length; i += CARDS_A_ROW) pageEvents([Math.min(CARDS_A_ROW, claimed.length - i) * SEND_SPAN, now]);
      })();
      if (last === undefined) break;
      after = last;
    }
    const seconds = (performance.now() - started) / 1000;
    const sizes = db.prepare(`select sum(pgsize) as n from dbstat where name not like 'send_job_members%'`).get() as { n: number };
    return { seconds, bytesPerCard: sizes.n / members };
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

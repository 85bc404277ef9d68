// How far webhooks may read without ever skipping an event. A delivery cursor says "every
// event up to seq N was delivered", so it may only pass N once no event with a lower seq
// can still appear.
//
// SQLite has one writer and hands out seqs inside its write transaction, so events commit
// in seq order and the newest stored seq is always safe.
//
// PostgreSQL hands out seqs from a sequence outside transaction order: seq 10 may commit
// after seq 11 is visible, and a rolled-back insert (or a duplicate SDK upload, ON
// CONFLICT DO NOTHING) leaves a seq that never appears. So each sample notes the newest
// seq handed out and the snapshot's xmax. Every seq in sample k came from a transaction
// whose xid is below xmax of sample k+1 (the insert takes its xid microseconds after its
// seq, long before the next sample), so once the oldest running xid has passed that
// xmax, each of those seqs is either visible or gone for good.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { StoreKind } from '../store/database.js';
import { newestSeq } from './events-query.js';

export interface EventHorizon {
  /** Takes a sample and answers the highest seq below which nothing can still appear. */
  advance(): Promise<number>;
}

export function eventHorizon(db: Kysely<Database>, kind: StoreKind): EventHorizon {
  return kind === 'postgres' ? new PostgresHorizon(db) : new SqliteHorizon(db);
}

class SqliteHorizon implements EventHorizon {
  constructor(private readonly db: Kysely<Database>) {}

  advance(): Promise<number> {
    return newestSeq(this.db);
  }
}

interface Sample {
  /** The newest seq handed out when the sample was taken. */
  lastSeq: number;
  /** Every transaction that had taken an xid before the sample has an xid below this. */
  xmax: number;
}

class PostgresHorizon implements EventHorizon {
  private samples: Sample[] = [];
  private safe = 0;

  constructor(private readonly db: Kysely<Database>) {}

  async advance(): Promise<number> {
    const { rows } = await sql<{ xmin: string; xmax: string; last_seq: string | number | null }>`
      select pg_snapshot_xmin(pg_current_snapshot())::text as xmin,
             pg_snapshot_xmax(pg_current_snapshot())::text as xmax,
             pg_sequence_last_value(pg_get_serial_sequence('analytics_events', 'seq')::regclass) as last_seq`.execute(this.db);
    const row = rows[0];
    if (!row) return this.safe;
    const xmin = Number(row.xmin);
    this.samples.push({ lastSeq: Number(row.last_seq ?? 0), xmax: Number(row.xmax) });
    // Sample i is settled once every transaction below sample i+1's xmax has ended.
    while (this.samples.length >= 2 && (this.samples[1] as Sample).xmax <= xmin) {
      this.safe = Math.max(this.safe, (this.samples.shift() as Sample).lastSeq);
    }
    return this.safe;
  }
}

// Segments (CONTRACT §9, role workbench): saved audience filters, counted from the indexed
// attribute and tag rows.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { AudienceFilter, Segment, SegmentInput } from '../../../protocol/src/audiences.js';
import type { Database, SegmentsTable } from '../store/schema.js';
import type { StoreKind } from '../store/database.js';
import { NotFound } from '../errors.js';
import { iso } from '../time.js';
import { checkFilter, memberIds } from './filter.js';

const toSegment = (row: SegmentsTable): Segment => ({
  id: row.id,
  name: row.name,
  filter: JSON.parse(row.filter) as AudienceFilter,
  created: iso(Number(row.created)),
  updated: iso(Number(row.updated)),
});

/** Profiles matching `filter` now. */
export async function countMembers(db: Kysely<Database>, kind: StoreKind, filter: AudienceFilter): Promise<number> {
  const row = await sql<{ n: number | string }>`select count(*) as n from (${memberIds(filter, kind)}) as m`.execute(db);
  return Number(row.rows[0]?.n ?? 0);
}

export class SegmentRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: StoreKind,
    /**
     * Where a segment is counted. On a SQLite file, on the SQLite worker: a count reads every
     * member's index entry, and a million of them held the server's thread (every request and
     * socket) for a second.
     */
    private readonly countMatching: (filter: AudienceFilter) => Promise<number> = (filter) => countMembers(db, kind, filter),
  ) {}

  async create(input: SegmentInput): Promise<Segment> {
    checkFilter(input.filter);
    const now = Date.now();
    const row: SegmentsTable = { id: randomUUID(), name: input.name, filter: JSON.stringify(input.filter), created: now, updated: now };
    await this.db.insertInto('segments').values(row).execute();
    return toSegment(row);
  }

  async update(id: string, input: SegmentInput): Promise<Segment> {
    checkFilter(input.filter);
    const row = await this.db
      .updateTable('segments')
      .set({ name: input.name, filter: JSON.stringify(input.filter), updated: Date.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw segmentNotFound(id);
    return toSegment(row);
  }

  async delete(id: string): Promise<void> {
    const result = await this.db.deleteFrom('segments').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw segmentNotFound(id);
  }

  async get(id: string): Promise<Segment> {
    const row = await this.db.selectFrom('segments').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw segmentNotFound(id);
    return toSegment(row);
  }

  async list(): Promise<Segment[]> {
    return (await this.db.selectFrom('segments').selectAll().orderBy('created').orderBy('id').execute()).map(toSegment);
  }

  /** Profiles matching the segment's filter now. */
  async count(id: string): Promise<number> {
    return this.countMatching((await this.get(id)).filter);
  }
}

const segmentNotFound = (id: string) => new NotFound('segment_not_found', `There is no segment ${id}.`);

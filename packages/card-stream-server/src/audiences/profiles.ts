// User profiles (CONTRACT §9): attributes (merged; null removes one) and tags (replaced),
// kept whole as JSON and as indexed rows of their own. A change that moves a user into or out
// of a segment records `segment-entered` / `segment-exited` in the same transaction, once:
// membership is judged on the profile as it was and as it is, so a change that moves nobody
// records nothing.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { AttributeValue, Profile, ProfileBatch, ProfileInput, Segment } from '../../../protocol/src/audiences.js';
import type { Page } from '../../../protocol/src/common.js';
import type { Database, UserAttributesTable, UserProfilesTable } from '../store/schema.js';
import type { InsertMany } from '../store/insert-many.js';
import type { StoreKind } from '../store/database.js';
import { insertEvents } from '../analytics/event-store.js';
import type { EventRow } from '../analytics/platform-events.js';
import { timeOrderedId } from '../ids.js';
import { InvalidInput, NotFound } from '../errors.js';
import { iso } from '../time.js';
import { matches, profileMatches, type ProfileFacts } from './filter.js';
import type { SegmentRepository } from './segments.js';

/** One user's profile before and after a change; `before` undefined for a new profile, `after` for a deleted one. */
interface ProfileChange {
  userId: string;
  before: StoredProfile | undefined;
  after: StoredProfile | undefined;
}

interface StoredProfile extends ProfileFacts {
  created: number;
}

const toProfile = (row: UserProfilesTable): Profile => ({
  userId: row.user_id,
  attributes: JSON.parse(row.attributes) as Record<string, AttributeValue>,
  tags: JSON.parse(row.tags) as string[],
  created: iso(Number(row.created)),
  updated: iso(Number(row.updated)),
});

const stored = (row: UserProfilesTable): StoredProfile => ({
  attributes: JSON.parse(row.attributes) as Record<string, AttributeValue>,
  tags: JSON.parse(row.tags) as string[],
  created: Number(row.created),
});

function attributeRow(userId: string, name: string, value: AttributeValue): UserAttributesTable {
  if (typeof value === 'string') return { name, user_id: userId, kind: 's', text_value: value, num_value: null };
  if (typeof value === 'boolean') return { name, user_id: userId, kind: 'b', text_value: null, num_value: value ? 1 : 0 };
  return { name, user_id: userId, kind: 'n', text_value: null, num_value: value };
}

/** The profile `input` makes of `before` (attributes merge, null removes; tags replace). */
function applyInput(before: StoredProfile | undefined, input: ProfileInput, now: number): StoredProfile {
  const attributes: Record<string, AttributeValue> = { ...before?.attributes };
  for (const [name, value] of Object.entries(input.attributes ?? {})) {
    if (value === null) delete attributes[name];
    else attributes[name] = value;
  }
  return { attributes, tags: input.tags ?? before?.tags ?? [], created: before?.created ?? now };
}

/** Rows per statement when reading profiles by id (under every store's parameter limit). */
const READ_CHUNK = 500;

export class ProfileRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: StoreKind,
    private readonly insertMany: InsertMany,
    private readonly segments: SegmentRepository,
  ) {}

  async get(userId: string): Promise<Profile> {
    const row = await this.db.selectFrom('user_profiles').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (!row) throw profileNotFound(userId);
    return toProfile(row);
  }

  async put(userId: string, input: ProfileInput): Promise<Profile> {
    await this.write([{ userId, ...input }]);
    return this.get(userId);
  }

  /** Makes or changes every profile of the batch in one transaction; returns how many changed. */
  async batch({ users }: ProfileBatch): Promise<number> {
    const seen = new Set<string>();
    users.forEach((user, i) => {
      if (seen.has(user.userId)) throw new InvalidInput('duplicate_user', `users[${i}]: "${user.userId}" is in the batch twice.`, `users[${i}].userId`);
      seen.add(user.userId);
    });
    const written = await this.write(users);
    this.refreshStatistics(users.length);
    return written;
  }

  /** When PostgreSQL last refreshed the profile tables' statistics at our asking. */
  private analyzedAt = 0;

  /**
   * PostgreSQL plans a segment's pages from the tables' statistics; right after a big import
   * (before autovacuum gets to it) stale ones made it hash a million attribute rows for a
   * page of 100 (2 s instead of under a millisecond). Big batches ask for fresh statistics,
   * at most every 5 s, without waiting for them.
   */
  private refreshStatistics(batchSize: number): void {
    if (this.kind !== 'postgres' || batchSize < 1000 || Date.now() - this.analyzedAt < 5000) return;
    this.analyzedAt = Date.now();
    void sql`analyze user_profiles, user_attributes, user_tags`.execute(this.db).catch(() => undefined);
  }

  /** Deletes the profile (the user's cards stay). */
  async delete(userId: string): Promise<void> {
    const segments = await this.segments.list();
    await this.db.transaction().execute(async (tx) => {
      const [before] = await this.read(tx, [userId]);
      if (!before) throw profileNotFound(userId);
      await this.store(tx, [{ userId, before: stored(before), after: undefined }], segments, Date.now());
    });
  }

  /** Profiles by user id, a page at a time, with the tag and in the segment when given. */
  async list(options: { tag?: string | undefined; segment?: Segment | undefined; limit: number; after?: string | undefined }): Promise<Page<Profile>> {
    const { tag, segment, limit, after } = options;
    let query = this.db.selectFrom('user_profiles').selectAll().orderBy('user_id').limit(limit + 1);
    if (after !== undefined) query = query.where('user_id', '>', after);
    if (tag !== undefined) query = query.where('user_id', 'in', (eb) => eb.selectFrom('user_tags').select('user_id').where('tag', '=', tag));
    // Walks profiles in id order, asking each: a page of a large segment costs about a page.
    if (segment) query = query.where(sql<boolean>`${profileMatches(segment.filter, this.kind, sql.ref('user_profiles.user_id'))}`);
    const rows = await query.execute();
    const page = rows.slice(0, limit).map(toProfile);
    return { data: page, nextCursor: rows.length > limit ? encodeCursor((page.at(-1) as Profile).userId) : null };
  }

  private async write(inputs: ({ userId: string } & ProfileInput)[]): Promise<number> {
    const segments = await this.segments.list();
    const now = Date.now();
    return this.db.transaction().execute(async (tx) => {
      const existing = new Map((await this.read(tx, inputs.map((u) => u.userId))).map((row) => [row.user_id, stored(row)]));
      const changes = inputs.map(({ userId, ...input }) => {
        const before = existing.get(userId);
        return { userId, before, after: applyInput(before, input, now) };
      });
      await this.store(tx, changes, segments, now);
      return changes.length;
    });
  }

  private async read(tx: Transaction<Database>, userIds: string[]): Promise<UserProfilesTable[]> {
    const rows: UserProfilesTable[] = [];
    for (let i = 0; i < userIds.length; i += READ_CHUNK) {
      let query = tx.selectFrom('user_profiles').selectAll().where('user_id', 'in', userIds.slice(i, i + READ_CHUNK));
      // Two changes of one profile at once on PostgreSQL: the second waits for the first.
      if (this.kind === 'postgres') query = query.forUpdate();
      rows.push(...(await query.execute()));
    }
    return rows;
  }

  /** Writes the profiles as `after` says, their attribute and tag rows, and the segment events. */
  private async store(tx: Transaction<Database>, changes: ProfileChange[], segments: Segment[], now: number): Promise<void> {
    const removedAttributes: [string, string][] = [];
    const addedAttributes: UserAttributesTable[] = [];
    const removedTags: [string, string][] = [];
    const addedTags: { tag: string; user_id: string }[] = [];
    const events: EventRow[] = [];
    for (const { userId, before, after } of changes) {
      const was = before?.attributes ?? {};
      const is = after?.attributes ?? {};
      for (const name of Object.keys(was)) if (!Object.hasOwn(is, name) || was[name] !== is[name]) removedAttributes.push([name, userId]);
      for (const [name, value] of Object.entries(is)) if (!Object.hasOwn(was, name) || was[name] !== value) addedAttributes.push(attributeRow(userId, name, value));
      const wasTags = new Set(before?.tags ?? []);
      const isTags = new Set(after?.tags ?? []);
      for (const tag of wasTags) if (!isTags.has(tag)) removedTags.push([tag, userId]);
      for (const tag of isTags) if (!wasTags.has(tag)) addedTags.push({ tag, user_id: userId });
      for (const segment of segments) {
        const wasIn = before !== undefined && matches(segment.filter, before);
        const isIn = after !== undefined && matches(segment.filter, after);
        if (wasIn !== isIn) events.push(segmentEvent(userId, segment, isIn ? 'segment-entered' : 'segment-exited', now));
      }
    }
    const gone = changes.filter((c) => c.before !== undefined).map((c) => c.userId);
    for (let i = 0; i < gone.length; i += READ_CHUNK) {
      await tx.deleteFrom('user_profiles').where('user_id', 'in', gone.slice(i, i + READ_CHUNK)).execute();
    }
    await this.deletePairs(tx, 'user_attributes', 'name', removedAttributes);
    await this.deletePairs(tx, 'user_tags', 'tag', removedTags);
    await this.insertMany(
      tx,
      'user_profiles',
      changes.flatMap(({ userId, after }) =>
        after ? [{ user_id: userId, attributes: JSON.stringify(after.attributes), tags: JSON.stringify(after.tags), created: after.created, updated: now }] : [],
      ),
    );
    await this.insertMany(tx, 'user_attributes', addedAttributes);
    await this.insertMany(tx, 'user_tags', addedTags);
    await insertEvents(this.insertMany, tx, events);
  }

  private async deletePairs(tx: Transaction<Database>, table: 'user_attributes' | 'user_tags', key: 'name' | 'tag', pairs: [string, string][]): Promise<void> {
    // Grouped by attribute or tag, so each statement is one index range.
    const byKey = new Map<string, string[]>();
    for (const [k, userId] of pairs) byKey.set(k, [...(byKey.get(k) ?? []), userId]);
    for (const [k, users] of byKey) {
      for (let i = 0; i < users.length; i += READ_CHUNK) {
        await tx
          .deleteFrom(table)
          .where(key as never, '=', k as never)
          .where('user_id', 'in', users.slice(i, i + READ_CHUNK))
          .execute();
      }
    }
  }
}

function segmentEvent(userId: string, segment: Segment, name: 'segment-entered' | 'segment-exited', at: number): EventRow {
  const id = timeOrderedId();
  const body = {
    id,
    endUserId: userId,
    analyticsEvent: name,
    timestamp: iso(at),
    properties: { segmentId: segment.id, segmentName: segment.name },
    hostContext: {},
    eventContext: { actionSource: 'customer' },
    sdkContext: {},
    streamContext: {},
    cardContext: {},
    platformContext: {},
  };
  return { id, analytics_event: name, end_user_id: userId, timestamp: at, card_instance_id: null, lifecycle_id: null, card_template_id: null, body: JSON.stringify(body) };
}

const profileNotFound = (userId: string) => new NotFound('profile_not_found', `There is no profile for user ${userId}.`);

export const encodeCursor = (userId: string): string => Buffer.from(userId).toString('base64url');

export function decodeCursor(cursor: string): string {
  const text = /^[A-Za-z0-9_-]{1,400}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!text) throw new InvalidInput('invalid_cursor', 'cursor is not one this API returned; pass nextCursor from the previous page.', 'cursor');
  return text;
}

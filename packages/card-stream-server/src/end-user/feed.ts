// A user's stream as the SDK loads and polls it (docs/protocol.md, "The feed").
import { createHash } from 'node:crypto';
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT, type SdkFeed, type StreamFilterCondition } from '../../../protocol/src/sdk.js';
import type { StoreKind } from '../store/database.js';
import { parseStreamFilter, streamFilterSql } from './stream-filter.js';
import { InvalidInput } from '../errors.js';
import type { ChangeLog } from '../cards/change-log.js';
import { sdkCardJson } from './sdk-card.js';
import type { CardContents } from '../cards/contents.js';
import type { CardRow } from '../cards/row.js';

export class FeedReader {
  constructor(
    /** Store.readDb: polling never waits for a write in progress. */
    private readonly db: Kysely<Database>,
    private readonly log: ChangeLog,
    private readonly kind: StoreKind,
    private readonly contents: CardContents,
  ) {}

  /**
   * The tag of the feed as it is now. Any change to the user's cards moves their sequence,
   * so the sequence is the version (with the user's last event, for what is unseen); the
   * user, stream and page are hashed in so a tag kept
   * across a change of user, stream or page never matches by accident.
   */
  async etag(userId: string, streamId: string, page: FeedPage): Promise<{ seq: number; etag: string }> {
    // The user's last analytics event too: a card-displayed changes what is unseen, not the cards.
    const [seq, events] = await Promise.all([
      this.log.latest(userId),
      this.db.selectFrom('analytics_events').select((eb) => eb.fn.max('seq').as('last')).where('end_user_id', '=', userId).executeTakeFirst(),
    ]);
    const scope = createHash('sha256')
      .update(`${userId}\n${streamId}\n${page.limit}\n${page.after ?? ''}\n${JSON.stringify(page.filter ?? null)}`)
      .digest('base64url')
      .slice(0, 12);
    return { seq, etag: `"${seq}-${Number(events?.last ?? 0)}-${scope}"` };
  }

  /**
   * A page of the stream's active cards in display order (CONTRACT §6): priority, then the
   * newest active first, then id. `after` names a card of the user's (any status: the SDK
   * pages on from the last card it holds, which may have left meanwhile) and the page
   * starts after its place. `seq` is read first, so the cards are at least that current: a
   * socket resuming from it may repeat, never miss. Answered as the JSON text of an SdkFeed,
   * its cards made as a socket's are (sdkCardJson): a response schema's serializer would
   * parse every card's definition and check each block against the union of block types
   * (and compile those checks on a server's first such response, 70-80 ms).
   */
  async feedJson(userId: string, streamId: string, seq: number, page: FeedPage): Promise<string> {
    let active = this.db.selectFrom('cards').where('user_id', '=', userId).where('stream_id', '=', streamId).where('status', '=', 'active');
    if (page.filter?.length) active = active.where(streamFilterSql(page.filter, this.kind));
    let query = active.selectAll().orderBy('priority').orderBy('active_since', 'desc').orderBy('card_instance_id').limit(page.limit + 1);
    if (page.after !== undefined) {
      const from = await this.db
        .selectFrom('cards')
        .select(['priority', 'active_since', 'card_instance_id'])
        .where('card_instance_id', '=', page.after)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!from) throw new InvalidInput('invalid_cursor', `after: ${page.after} is not one of your cards.`, 'after');
      const since = Number(from.active_since ?? 0);
      query = query.where((eb) =>
        eb.or([
          eb('priority', '>', from.priority),
          eb.and([eb('priority', '=', from.priority), eb.or([eb('active_since', '<', since), eb.and([eb('active_since', '=', since), eb('card_instance_id', '>', from.card_instance_id)])])]),
        ]),
      );
    }
    // Seen: a card-displayed of the card is recorded (the SDK records it for the card's user
    // only). The card's id is cast: events keep theirs as text, and PostgreSQL has cards'
    // as uuid (store/uuid-columns.ts); cast this side, the events' index is still used.
    const displayed = (eb: ExpressionBuilder<Database, 'cards'>) =>
      eb.exists(
        eb
          .selectFrom('analytics_events')
          .select('seq')
          .where('analytics_events.card_instance_id', '=', eb.cast<string>('cards.card_instance_id', 'text'))
          .where('analytics_event', '=', 'card-displayed'),
      );
    const [rows, counted] = await Promise.all([
      page.limit === 0 ? Promise.resolve([]) : query.select((eb) => displayed(eb).as('seen')).execute(),
      active
        .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.sum<number | string | null>(eb.case().when(displayed(eb)).then(0).else(1).end()).as('unseen')])
        .executeTakeFirstOrThrow(),
    ]);
    const shown = rows.slice(0, page.limit);
    const full = await this.contents.cards(shown.map(({ seen: _seen, ...row }) => row), this.db);
    const cards = shown.map((row, i) => sdkCardJson(full[i] as CardRow, undefined, Boolean(row.seen && Number(row.seen))));
    const nextCursor = rows.length > page.limit ? (full.at(-1)?.card_instance_id ?? null) : null;
    const head: Pick<SdkFeed, 'userId' | 'streamId' | 'seq'> = { userId, streamId, seq };
    const tail: Pick<SdkFeed, 'total' | 'unseen' | 'nextCursor'> = { total: Number(counted.n), unseen: Number(counted.unseen ?? 0), nextCursor };
    return `${JSON.stringify(head).slice(0, -1)},"cards":[${cards.join(',')}],${JSON.stringify(tail).slice(1)}`;
  }
}

export interface FeedPage {
  limit: number;
  after?: string | undefined;
  filter?: StreamFilterCondition[] | undefined;
}

/** The page a feed request asks for, checked. */
export function feedPage(query: { limit?: string | undefined; after?: string | undefined; filter?: string | undefined }): FeedPage {
  const limit = query.limit === undefined ? FEED_DEFAULT_LIMIT : Number(query.limit);
  if (limit > FEED_MAX_LIMIT) throw new InvalidInput('invalid_limit', `limit must be from 0 to ${FEED_MAX_LIMIT}; it was ${query.limit}.`, 'limit');
  return { limit, after: query.after, filter: parseStreamFilter(query.filter) };
}

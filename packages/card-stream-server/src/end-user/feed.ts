// A user's stream as the SDK loads and polls it (docs/protocol.md, "The feed").
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { SdkFeed } from '../../../protocol/src/sdk.js';
import type { ChangeLog } from '../cards/change-log.js';
import { sdkCard } from './sdk-card.js';

export const FEED_LIMIT = 500;

export class FeedReader {
  constructor(
    /** Store.readDb: polling never waits for a write in progress. */
    private readonly db: Kysely<Database>,
    private readonly log: ChangeLog,
  ) {}

  /**
   * The tag of the feed as it is now. Any change to the user's cards moves their sequence,
   * so the sequence is the version; the user and stream are hashed in so a tag kept across
   * a change of user or stream never matches by accident.
   */
  async etag(userId: string, streamId: string): Promise<{ seq: number; etag: string }> {
    const seq = await this.log.latest(userId);
    const scope = createHash('sha256').update(`${userId}\n${streamId}`).digest('base64url').slice(0, 12);
    return { seq, etag: `"${seq}-${scope}"` };
  }

  /** The stream's active cards in display order (CONTRACT §6). `seq` is read first, so the
   * cards are at least that current: a socket resuming from it may repeat, never miss. */
  async feed(userId: string, streamId: string, seq: number): Promise<SdkFeed> {
    const rows = await this.db
      .selectFrom('cards')
      .selectAll()
      .where('user_id', '=', userId)
      .where('stream_id', '=', streamId)
      .where('status', '=', 'active')
      .orderBy('priority')
      .orderBy('active_since', 'desc')
      .orderBy('card_instance_id')
      .limit(FEED_LIMIT)
      .execute();
    return { userId, streamId, seq, cards: rows.map((row) => sdkCard(row)) };
  }
}

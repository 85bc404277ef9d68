// Channels and their cards (CONTRACT §5, seed 004). Every change to a channel's cards
// bumps the channel's version (its feed ETag) and is announced to the channel's viewers
// once committed: on this server through the bus, on the others through NOTIFY.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type SelectQueryBuilder, type Transaction } from 'kysely';
import type { Database, ChannelCardsTable, ChannelsTable } from '../store/schema.js';
import type { StoreKind } from '../store/database.js';
import type { Tone } from '../../../protocol/src/definition.js';
import type { BlockPatch, Channel, ChannelCard, ChannelChange, StoredChannelBlock } from '../../../protocol/src/channels.js';
import type { Page } from '../../../protocol/src/common.js';
import { withBlockIds } from '../templates/block-ids.js';
import { iso } from '../time.js';
import { applyPatches } from './patch.js';
import type { ChannelBlock } from '../../../protocol/src/definition.js';
import { InvalidInput, InvalidState, LimitReached, NotFound } from '../errors.js';
import type { AlsoRecord } from '../store/also-record.js';

export const CHANNEL_NOTIFY = 'card_stream_channels';
export const DEFAULT_CHANNEL_DAILY_CARD_LIMIT = 200;

/** A committed change, for the channel's viewers. */
export interface ChannelEvent {
  channelId: string;
  change: ChannelChange | { op: 'channel-deleted' };
}

/** What other servers are told: enough to read the change themselves. */
export interface ChannelNotice {
  origin: string;
  channelId: string;
  op: 'upsert' | 'delete' | 'channel-deleted';
  cardId?: string;
}

export type ChannelListener = (event: ChannelEvent) => void;

export function toChannelCard(row: ChannelCardsTable): ChannelCard {
  return {
    id: row.id,
    channel_id: row.channel_id,
    status: row.status as Tone,
    blocks: JSON.parse(row.blocks) as StoredChannelBlock[],
    created_at: iso(Number(row.created)),
    updated_at: iso(Number(row.updated)),
  };
}

const toChannel = (row: ChannelsTable): Channel => ({ id: row.id, name: row.name, created_at: iso(Number(row.created)) });

/** Cursors are opaque to clients: the (created, id) of the last item, newest-first order. */
function encodeCursor(created: number, id: string): string {
  return Buffer.from(JSON.stringify([created, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown;
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string') return [value[0], value[1]];
  } catch {
    /* refused below */
  }
  throw new InvalidInput('invalid_cursor', 'cursor is not one this API returned: pass nextCursor as it came.');
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class ChannelRepository {
  private readonly listeners = new Set<ChannelListener>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: StoreKind,
    private readonly origin: string,
    private readonly dailyCardLimit: number,
  ) {}

  subscribe(listener: ChannelListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async create(name: string): Promise<Channel> {
    const row: ChannelsTable = { id: randomUUID(), name, created: Date.now(), version: 0 };
    await this.db.insertInto('channels').values(row).execute();
    return toChannel(row);
  }

  async list(limit: number, cursor: string | undefined): Promise<Page<Channel>> {
    const query = this.db.selectFrom('channels').selectAll().orderBy('created', 'desc').orderBy('id', 'desc').limit(limit + 1);
    return paged(await afterCursor(query, cursor).execute(), limit, toChannel);
  }

  async get(channelId: string): Promise<ChannelsTable> {
    const row = await this.db.selectFrom('channels').selectAll().where('id', '=', channelId).executeTakeFirst();
    if (!row) throw new NotFound('channel_not_found', `There is no channel ${channelId}.`);
    return row;
  }

  /** Deletes the channel with its cards and interactions; viewers are told and let go. */
  async delete(channelId: string): Promise<void> {
    await this.change(channelId, { op: 'channel-deleted' }, async (tx) => {
      await tx.deleteFrom('channel_interactions').where('channel_id', '=', channelId).execute();
      await tx.deleteFrom('channel_cards').where('channel_id', '=', channelId).execute();
      await tx.deleteFrom('channel_daily_counts').where('channel_id', '=', channelId).execute();
      await tx.deleteFrom('channels').where('id', '=', channelId).execute();
    });
  }

  /** A new card, counted against the channel's cards of the UTC day (429 over the limit). */
  async createCard(channelId: string, blocks: ChannelBlock[], status: Tone = 'default', alsoRecord?: AlsoRecord<ChannelCard>): Promise<ChannelCard> {
    const now = Date.now();
    const row: ChannelCardsTable = {
      id: randomUUID(),
      channel_id: channelId,
      status,
      blocks: JSON.stringify(withBlockIds(blocks, 'blocks')),
      created: now,
      updated: now,
    };
    const card = toChannelCard(row);
    await this.change(channelId, { op: 'upsert', card }, async (tx) => {
      await this.countToday(tx, channelId, now);
      await tx.insertInto('channel_cards').values(row).execute();
      await alsoRecord?.(tx, card);
    });
    return card;
  }

  async listCards(channelId: string, limit: number, cursor: string | undefined): Promise<Page<ChannelCard>> {
    await this.get(channelId);
    const query = this.db
      .selectFrom('channel_cards')
      .selectAll()
      .where('channel_id', '=', channelId)
      .orderBy('created', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1);
    return paged(await afterCursor(query, cursor).execute(), limit, toChannelCard);
  }

  async patchCard(channelId: string, cardId: string, status: Tone | undefined, patches: BlockPatch[]): Promise<ChannelCard> {
    let card: ChannelCard | undefined;
    await this.change(channelId, () => ({ op: 'upsert', card: card as ChannelCard }), async (tx) => {
      const row = await this.cardIn(tx, channelId, cardId);
      const blocks = applyPatches(JSON.parse(row.blocks) as StoredChannelBlock[], patches);
      const updated = { ...row, status: status ?? row.status, blocks: JSON.stringify(blocks), updated: Date.now() };
      await tx.updateTable('channel_cards').set({ status: updated.status, blocks: updated.blocks, updated: updated.updated }).where('id', '=', cardId).execute();
      card = toChannelCard(updated);
    });
    return card as ChannelCard;
  }

  /** Deletes a card; its interactions stay, with card_id null. */
  async deleteCard(channelId: string, cardId: string): Promise<void> {
    await this.change(channelId, { op: 'delete', cardId }, async (tx) => {
      await this.cardIn(tx, channelId, cardId);
      await tx.updateTable('channel_interactions').set({ card_id: null }).where('card_id', '=', cardId).execute();
      await tx.deleteFrom('channel_cards').where('id', '=', cardId).execute();
    });
  }

  async card(channelId: string, cardId: string): Promise<ChannelCard | undefined> {
    const row = await this.db.selectFrom('channel_cards').selectAll().where('id', '=', cardId).where('channel_id', '=', channelId).executeTakeFirst();
    return row && toChannelCard(row);
  }

  /** The feed viewers load: newest first, and the version it is current to. */
  async feed(channelId: string, limit: number): Promise<{ channel: ChannelsTable; cards: ChannelCard[] }> {
    const channel = await this.get(channelId);
    const rows = await this.db
      .selectFrom('channel_cards')
      .selectAll()
      .where('channel_id', '=', channelId)
      .orderBy('created', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return { channel, cards: rows.map(toChannelCard) };
  }

  /** A viewer pressed a button without an action. */
  async recordInteraction(channelId: string, cardId: string, blockId: string, buttonId: string): Promise<{ id: string }> {
    const card = await this.card(channelId, cardId);
    if (!card) throw new NotFound('card_not_found', `Channel ${channelId} has no card ${cardId}.`);
    const block = card.blocks.find((b) => b.id === blockId);
    const button = block?.type === 'button' ? block.buttons.find((b) => b.id === buttonId) : undefined;
    if (!button) throw new NotFound('button_not_found', `The card has no button "${buttonId}" in block "${blockId}".`);
    if (button.action) throw new InvalidInput('button_has_action', `Button "${buttonId}" has an action; only buttons without one record interactions.`);
    if (button.disabled) throw new InvalidState('button_disabled', `Button "${buttonId}" is disabled.`);
    const id = randomUUID();
    await this.db.insertInto('channel_interactions').values({ id, channel_id: channelId, card_id: cardId, block_id: blockId, button_id: buttonId, created: Date.now() }).execute();
    return { id };
  }

  async listInteractions(channelId: string, limit: number, cursor: string | undefined) {
    await this.get(channelId);
    const query = this.db
      .selectFrom('channel_interactions')
      .selectAll()
      .where('channel_id', '=', channelId)
      .orderBy('created', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1);
    return paged(await afterCursor(query, cursor).execute(), limit, (row) => ({
      id: row.id,
      card_id: row.card_id,
      block_id: row.block_id,
      button_id: row.button_id,
      created_at: iso(Number(row.created)),
    }));
  }

  /**
   * Runs `work` in a transaction that first bumps the channel's version (404 when the
   * channel does not exist; the row lock also orders concurrent changes), then tells the
   * viewers once it commits.
   */
  private async change(
    channelId: string,
    change: ChannelEvent['change'] | (() => ChannelEvent['change']),
    work: (tx: Transaction<Database>) => Promise<void>,
  ): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const bumped = await tx
        .updateTable('channels')
        .set({ version: sql`version + 1` })
        .where('id', '=', channelId)
        .returning('id')
        .executeTakeFirst();
      if (!bumped) throw new NotFound('channel_not_found', `There is no channel ${channelId}.`);
      await work(tx);
      if (this.kind === 'postgres') {
        const resolved = typeof change === 'function' ? change() : change;
        const notice: ChannelNotice = {
          origin: this.origin,
          channelId,
          op: resolved.op,
          ...(resolved.op === 'upsert' ? { cardId: resolved.card.id } : resolved.op === 'delete' ? { cardId: resolved.cardId } : {}),
        };
        await sql`select pg_notify(${CHANNEL_NOTIFY}, ${JSON.stringify(notice)})`.execute(tx);
      }
    });
    const event: ChannelEvent = { channelId, change: typeof change === 'function' ? change() : change };
    for (const listener of this.listeners) listener(event);
  }

  private async countToday(tx: Transaction<Database>, channelId: string, now: number): Promise<void> {
    const day = utcDay(now);
    const counted = await tx
      .insertInto('channel_daily_counts')
      .values({ channel_id: channelId, day, count: 1 })
      .onConflict((oc) =>
        oc
          .columns(['channel_id', 'day'])
          .doUpdateSet({ count: sql`channel_daily_counts.count + 1` })
          .where('channel_daily_counts.count', '<', this.dailyCardLimit),
      )
      .returning('count')
      .executeTakeFirst();
    if (!counted || this.dailyCardLimit < 1) {
      const midnight = Date.parse(`${day}T00:00:00Z`) + 86_400_000;
      throw new LimitReached(
        'daily_card_limit',
        `This channel has had its ${this.dailyCardLimit} cards for today (UTC); try again after midnight UTC.`,
        Math.max(1, Math.ceil((midnight - now) / 1000)),
      );
    }
  }

  private async cardIn(tx: Transaction<Database>, channelId: string, cardId: string): Promise<ChannelCardsTable> {
    const row = await tx.selectFrom('channel_cards').selectAll().where('id', '=', cardId).where('channel_id', '=', channelId).executeTakeFirst();
    if (!row) throw new NotFound('card_not_found', `Channel ${channelId} has no card ${cardId}.`);
    return row;
  }
}

/** Newest first, after `cursor` when given: the keyset condition every list here pages by. */
function afterCursor<T extends 'channels' | 'channel_cards' | 'channel_interactions', O>(
  query: SelectQueryBuilder<Database, T, O>,
  cursor: string | undefined,
): SelectQueryBuilder<Database, T, O> {
  if (!cursor) return query;
  const [created, id] = decodeCursor(cursor);
  return query.where(sql<boolean>`(created < ${created} or (created = ${created} and id < ${id}))`);
}

function paged<R extends { created: number; id: string }, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page.at(-1);
  return { data: page.map(map), nextCursor: more && last ? encodeCursor(Number(last.created), last.id) : null };
}

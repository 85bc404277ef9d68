// Channels (CONTRACT §5, seed 004): the management API under /api/v1 (role `events`), and
// the public side viewers use — the feed and button interactions.
import { Type } from '@sinclair/typebox';
import {
  ChannelCardCreatedSchema,
  ChannelCardInputSchema,
  ChannelCardPageSchema,
  ChannelCardPatchSchema,
  ChannelCardPatchedSchema,
  ChannelFeedSchema,
  ChannelInputSchema,
  ChannelPageSchema,
  ChannelSchema,
  InteractionCreatedSchema,
  InteractionInputSchema,
  InteractionPageSchema,
  type ChannelCard,
  type ChannelFeed,
} from '../../../protocol/src/channels.js';
import { InvalidInput } from '../errors.js';
import { RateLimiter } from '../http/rate-limit.js';
import { errors, platformErrors } from './responses.js';
import { answerOnce, IdempotencyKeyHeader } from './idempotent.js';
import type { App, Services } from './types.js';

const ChannelParams = Type.Object({ channelId: Type.String({ format: 'uuid' }) });
const CardParams = Type.Object({ channelId: Type.String({ format: 'uuid' }), cardId: Type.String({ maxLength: 100 }) });
const PagingQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1 to 200, default 50' })),
    cursor: Type.Optional(Type.String({ maxLength: 500, description: 'nextCursor from the previous page' })),
  },
  { additionalProperties: false },
);
const NoContent = Type.Null({ description: 'No content' });
const managementErrors = { ...platformErrors, ...errors(404) };

/** Viewers' interactions from one address, per channel, per minute. */
const INTERACTIONS_PER_MINUTE = 30;
const FEED_CARDS = 200;

function limitOf(text: string | undefined): number {
  const n = text === undefined ? 50 : Number(text);
  if (n < 1 || n > 200) throw new InvalidInput('invalid_limit', `limit must be from 1 to 200; it was ${text}.`, 'limit');
  return n;
}

export function channelRoutes(app: App, { channels, idempotencyKeys }: Pick<Services, 'channels' | 'idempotencyKeys'>): void {
  const events = { role: 'events' as const };
  const tags = ['channels'];

  app.post(
    '/api/v1/channels',
    {
      config: events,
      schema: { operationId: 'createChannel', summary: 'Create a channel', tags, body: ChannelInputSchema, response: { 201: ChannelSchema, ...platformErrors } },
    },
    async (request, reply) => reply.code(201).send(await channels.create(request.body.name)),
  );

  app.get(
    '/api/v1/channels',
    {
      config: events,
      schema: { operationId: 'listChannels', summary: 'List channels, newest first', tags, querystring: PagingQuery, response: { 200: ChannelPageSchema, ...platformErrors } },
    },
    async (request) => channels.list(limitOf(request.query.limit), request.query.cursor),
  );

  app.delete(
    '/api/v1/channels/:channelId',
    {
      config: events,
      schema: {
        operationId: 'deleteChannel',
        summary: 'Delete a channel with its cards and interactions',
        tags,
        params: ChannelParams,
        response: { 204: NoContent, ...managementErrors },
      },
    },
    async (request, reply) => {
      await channels.delete(request.params.channelId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/channels/:channelId/cards',
    {
      config: events,
      schema: {
        operationId: 'createChannelCard',
        summary: 'Create a card in the channel (counts toward the daily limit)',
        tags,
        params: ChannelParams,
        headers: IdempotencyKeyHeader,
        body: ChannelCardInputSchema,
        response: { 201: ChannelCardCreatedSchema, ...managementErrors, ...errors(422, 429) },
      },
    },
    async (request, reply) =>
      answerOnce(
        idempotencyKeys,
        request,
        reply,
        201,
        (card: ChannelCard) => ({ id: card.id, channel_id: card.channel_id, created_at: card.created_at }),
        (alsoRecord) => channels.createCard(request.params.channelId, request.body.blocks, request.body.status, alsoRecord),
      ),
  );

  app.get(
    '/api/v1/channels/:channelId/cards',
    {
      config: events,
      schema: {
        operationId: 'listChannelCards',
        summary: "The channel's cards, newest first",
        tags,
        params: ChannelParams,
        querystring: PagingQuery,
        response: { 200: ChannelCardPageSchema, ...managementErrors },
      },
    },
    async (request) => channels.listCards(request.params.channelId, limitOf(request.query.limit), request.query.cursor),
  );

  app.patch(
    '/api/v1/channels/:channelId/cards/:cardId',
    {
      config: events,
      schema: {
        operationId: 'patchChannelCard',
        summary: 'Change the status and/or patch listed blocks',
        tags,
        params: CardParams,
        body: ChannelCardPatchSchema,
        response: { 200: ChannelCardPatchedSchema, ...managementErrors },
      },
    },
    async (request) => {
      const card = await channels.patchCard(request.params.channelId, request.params.cardId, request.body.status, request.body.blocks ?? []);
      return { id: card.id, channel_id: card.channel_id, status: card.status, blocks: card.blocks, updated_at: card.updated_at };
    },
  );

  app.delete(
    '/api/v1/channels/:channelId/cards/:cardId',
    {
      config: events,
      schema: {
        operationId: 'deleteChannelCard',
        summary: 'Delete a card (its interactions stay, with card_id null)',
        tags,
        params: CardParams,
        response: { 204: NoContent, ...managementErrors },
      },
    },
    async (request, reply) => {
      await channels.deleteCard(request.params.channelId, request.params.cardId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/channels/:channelId/interactions',
    {
      config: events,
      schema: {
        operationId: 'listChannelInteractions',
        summary: 'Button presses by viewers, newest first',
        tags,
        params: ChannelParams,
        querystring: PagingQuery,
        response: { 200: InteractionPageSchema, ...managementErrors },
      },
    },
    async (request) => channels.listInteractions(request.params.channelId, limitOf(request.query.limit), request.query.cursor),
  );

  // ---- the public side: no credential; anyone with the link ----

  app.get(
    '/v1/sdk/channels/:channelId/cards',
    {
      schema: {
        operationId: 'getChannelFeed',
        summary: "A channel's cards for viewers (public); 304 when If-None-Match holds the ETag",
        tags: ['sdk'],
        security: [],
        params: ChannelParams,
        response: { 200: ChannelFeedSchema, 304: Type.Null({ description: 'Not modified' }), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const { channel, cards } = await channels.feed(request.params.channelId, FEED_CARDS);
      const etag = `"c${channel.version}"`;
      reply.header('etag', etag).header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send(null);
      const feed: ChannelFeed = { channelId: channel.id, name: channel.name, cards };
      return feed;
    },
  );

  const limiter = new RateLimiter(INTERACTIONS_PER_MINUTE, 60_000);
  app.post(
    '/v1/sdk/channels/:channelId/cards/:cardId/interactions',
    {
      schema: {
        operationId: 'recordChannelInteraction',
        summary: 'A viewer pressed a button without an action (public, rate-limited per address)',
        tags: ['sdk'],
        security: [],
        params: CardParams,
        body: InteractionInputSchema,
        response: { 201: InteractionCreatedSchema, ...errors(400, 404, 409, 429) },
      },
    },
    async (request, reply) => {
      limiter.take(`${request.ip} ${request.params.channelId}`);
      const { channelId, cardId } = request.params;
      return reply.code(201).send(await channels.recordInteraction(channelId, cardId, request.body.blockId, request.body.buttonId));
    },
  );
}

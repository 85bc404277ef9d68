// Channels (CONTRACT §5, seed 004): the management API under /api/v1 (role `events`), and
// the public side viewers use — the feed, button interactions and the page at /c/{id}.
import { Type } from '@sinclair/typebox';
import { ChannelBlockSchema, ToneSchema } from '../../../protocol/src/definition.js';
import type { ChannelFeed } from '../../../protocol/src/channels.js';
import { badRequest, ErrorBodySchema } from '../http/errors.js';
import { RateLimiter } from '../http/rate-limit.js';
import type { App, Services } from './types.js';

const ChannelId = Type.Object({ channelId: Type.String({ format: 'uuid' }) });
const CardParams = Type.Object({ channelId: Type.String({ format: 'uuid' }), cardId: Type.String({ maxLength: 100 }) });
const Paging = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1 to 200, default 50' })),
    cursor: Type.Optional(Type.String({ maxLength: 500, description: 'nextCursor from the previous page' })),
  },
  { additionalProperties: false },
);
const Blocks = Type.Array(ChannelBlockSchema, { minItems: 1, maxItems: 100 });
const ChannelSchema = Type.Object({ id: Type.String(), name: Type.String(), created_at: Type.String() });
const ChannelCardSchema = Type.Object({
  id: Type.String(),
  channel_id: Type.String(),
  status: ToneSchema,
  blocks: Type.Array(Type.Unknown({ description: 'a block of §6 with its id' })),
  created_at: Type.String(),
  updated_at: Type.String(),
});
const InteractionSchema = Type.Object({
  id: Type.String(),
  card_id: Type.Union([Type.String(), Type.Null()]),
  block_id: Type.String(),
  button_id: Type.String(),
  created_at: Type.String(),
});
const pageOf = (item: Parameters<typeof Type.Array>[0]) => Type.Object({ data: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
const NoContent = Type.Null({ description: 'No content' });
const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 403: ErrorBodySchema, 404: ErrorBodySchema };

/** Viewers' interactions from one address, per channel, per minute. */
const INTERACTIONS_PER_MINUTE = 30;
const FEED_CARDS = 200;

function limitOf(text: string | undefined): number {
  const n = text === undefined ? 50 : Number(text);
  if (n < 1 || n > 200) throw badRequest('invalid_limit', `limit must be from 1 to 200; it was ${text}.`);
  return n;
}

export function channelRoutes(app: App, { channels }: Services): void {
  const events = { role: 'events' as const };

  app.post(
    '/api/v1/channels',
    {
      config: events,
      schema: {
        summary: 'Create a channel',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 201: ChannelSchema, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await channels.create(request.body.name)),
  );

  app.get(
    '/api/v1/channels',
    { config: events, schema: { summary: 'List channels, newest first', querystring: Paging, response: { 200: pageOf(ChannelSchema), ...errors } } },
    async (request) => channels.list(limitOf(request.query.limit), request.query.cursor),
  );

  app.delete(
    '/api/v1/channels/:channelId',
    { config: events, schema: { summary: 'Delete a channel with its cards and interactions', params: ChannelId, response: { 204: NoContent, ...errors } } },
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
        summary: 'Create a card in the channel (counts toward the daily limit)',
        params: ChannelId,
        body: Type.Object({ blocks: Blocks, status: Type.Optional(ToneSchema) }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String(), channel_id: Type.String(), created_at: Type.String() }), 429: ErrorBodySchema, ...errors },
      },
    },
    async (request, reply) => {
      const card = await channels.createCard(request.params.channelId, request.body.blocks, request.body.status);
      return reply.code(201).send({ id: card.id, channel_id: card.channel_id, created_at: card.created_at });
    },
  );

  app.get(
    '/api/v1/channels/:channelId/cards',
    { config: events, schema: { summary: "The channel's cards, newest first", params: ChannelId, querystring: Paging, response: { 200: pageOf(ChannelCardSchema), ...errors } } },
    async (request) => channels.listCards(request.params.channelId, limitOf(request.query.limit), request.query.cursor),
  );

  app.patch(
    '/api/v1/channels/:channelId/cards/:cardId',
    {
      config: events,
      schema: {
        summary: 'Change the status and/or patch listed blocks',
        params: CardParams,
        body: Type.Object(
          {
            status: Type.Optional(ToneSchema),
            blocks: Type.Optional(
              Type.Array(
                Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }), patch: Type.Object({}, { additionalProperties: true }) }, { additionalProperties: false }),
                { maxItems: 100 },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Omit(ChannelCardSchema, ['created_at']), ...errors },
      },
    },
    async (request) => {
      const card = await channels.patchCard(request.params.channelId, request.params.cardId, request.body.status, request.body.blocks ?? []);
      return { id: card.id, channel_id: card.channel_id, status: card.status, blocks: card.blocks, updated_at: card.updated_at };
    },
  );

  app.delete(
    '/api/v1/channels/:channelId/cards/:cardId',
    { config: events, schema: { summary: 'Delete a card (its interactions stay, with card_id null)', params: CardParams, response: { 204: NoContent, ...errors } } },
    async (request, reply) => {
      await channels.deleteCard(request.params.channelId, request.params.cardId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/channels/:channelId/interactions',
    { config: events, schema: { summary: 'Button presses by viewers, newest first', params: ChannelId, querystring: Paging, response: { 200: pageOf(InteractionSchema), ...errors } } },
    async (request) => channels.listInteractions(request.params.channelId, limitOf(request.query.limit), request.query.cursor),
  );

  // ---- the public side: no credential; anyone with the link ----

  app.get(
    '/v1/sdk/channels/:channelId/cards',
    { schema: { tags: ['sdk'], summary: "A channel's cards for viewers (public); 304 when If-None-Match holds the ETag", params: ChannelId } },
    async (request, reply) => {
      const { channel, cards } = await channels.feed(request.params.channelId, FEED_CARDS);
      const etag = `"c${channel.version}"`;
      reply.header('etag', etag).header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      const feed: ChannelFeed = { channelId: channel.id, name: channel.name, cards };
      return feed;
    },
  );

  const limiter = new RateLimiter(INTERACTIONS_PER_MINUTE, 60_000);
  app.post(
    '/v1/sdk/channels/:channelId/cards/:cardId/interactions',
    {
      schema: {
        tags: ['sdk'],
        summary: 'A viewer pressed a button without an action (public, rate-limited per address)',
        params: CardParams,
        body: Type.Object({ blockId: Type.String({ minLength: 1, maxLength: 100 }), buttonId: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String() }), 429: ErrorBodySchema, 400: ErrorBodySchema, 404: ErrorBodySchema },
      },
    },
    async (request, reply) => {
      limiter.take(`${request.ip} ${request.params.channelId}`);
      const { channelId, cardId } = request.params;
      return reply.code(201).send(await channels.recordInteraction(channelId, cardId, request.body.blockId, request.body.buttonId));
    },
  );
}

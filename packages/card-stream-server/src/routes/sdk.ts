// The SDK-facing HTTP API (docs/protocol.md): the feed, card actions and analytics uploads,
// each called by a browser with an end-user token.
import { Type, type Static } from '@sinclair/typebox';
import { SDK_EVENT_NAMES, VOTE_MESSAGE_MAX, VOTE_REASONS, type SdkActionRequest } from '../../../protocol/src/sdk.js';
import { CARD_STATES } from '../../../protocol/src/cards.js';
import { endUserOf } from '../auth/end-user.js';
import { badRequest, ErrorBodySchema } from '../http/errors.js';
import { StringEnum } from '../http/schema-helpers.js';
import { MAX_EVENTS_PER_UPLOAD } from '../sdk/events.js';
import type { App, Services } from './types.js';

const Id = (description: string) => Type.String({ minLength: 1, maxLength: 100, description });
const Bag = (description: string) => Type.Optional(Type.Object({}, { additionalProperties: true, description }));
const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 404: ErrorBodySchema, 409: ErrorBodySchema };

const ACTION_TYPES = ['dismiss', 'snooze', 'complete', 'vote', 'interaction'] as const;
const ActionBody = Type.Object(
  {
    id: Id('a client-generated id (UUID) that makes the action idempotent'),
    type: StringEnum(ACTION_TYPES),
    until: Type.Optional(Type.String({ maxLength: 40, description: 'snooze: ISO 8601 time' })),
    interval: Type.Optional(Type.String({ maxLength: 40, description: 'snooze: ISO 8601 duration' })),
    values: Type.Optional(
      Type.Record(Type.String({ maxLength: 100 }), Type.Union([Type.String({ maxLength: 100_000 }), Type.Number(), Type.Boolean()]), {
        description: 'complete: the input values by input name',
      }),
    ),
    payload: Type.Optional(Type.Unknown({ description: "complete: the submit button's payload" })),
    buttonId: Type.Optional(Id('complete / interaction: the button pressed')),
    blockId: Type.Optional(Id('interaction: the button block')),
    direction: Type.Optional(StringEnum(['up', 'down'] as const)),
    reason: Type.Optional(StringEnum(VOTE_REASONS, { description: 'vote down only' })),
    message: Type.Optional(Type.String({ maxLength: VOTE_MESSAGE_MAX, description: 'vote down with reason "other" only' })),
  },
  { additionalProperties: false },
);
type ActionBody = Static<typeof ActionBody>;

/** The fields each action type takes besides `id` and `type`. */
const ACTION_FIELDS: Record<(typeof ACTION_TYPES)[number], readonly (keyof ActionBody)[]> = {
  dismiss: [],
  snooze: ['until', 'interval'],
  complete: ['values', 'payload', 'buttonId'],
  vote: ['direction', 'reason', 'message'],
  interaction: ['buttonId', 'blockId'],
};

const ActionResult = Type.Object({
  id: Type.String(),
  applied: Type.Boolean(),
  card: Type.Object({ cardInstanceId: Type.String(), status: StringEnum(CARD_STATES), snoozedUntil: Type.Optional(Type.String()) }),
});

const EventUpload = Type.Object(
  {
    id: Id('a client-generated id; an id already stored is dropped as a duplicate'),
    analyticsEvent: StringEnum(SDK_EVENT_NAMES),
    timestamp: Type.String({ maxLength: 40 }),
    properties: Bag('event properties'),
    hostContext: Bag('seed 003 hostContext'),
    eventContext: Bag('seed 003 eventContext'),
    sdkContext: Bag('seed 003 sdkContext'),
    streamContext: Bag('seed 003 streamContext'),
    cardContext: Bag('seed 003 cardContext'),
  },
  { additionalProperties: false },
);

/** Cross-field rules the schema cannot say, each named in a clear 400. */
function actionRequest(body: ActionBody): SdkActionRequest {
  const allowed = new Set<string>(['id', 'type', ...ACTION_FIELDS[body.type]]);
  const stray = Object.keys(body).find((key) => !allowed.has(key));
  if (stray) throw badRequest('invalid_action', `A ${body.type} action takes no "${stray}".`);
  switch (body.type) {
    case 'snooze':
      if ((body.until === undefined) === (body.interval === undefined)) {
        throw badRequest('invalid_action', 'A snooze takes either "until" or "interval".');
      }
      break;
    case 'vote':
      if (!body.direction) throw badRequest('invalid_action', 'A vote needs "direction": "up" or "down".');
      if (body.reason !== undefined && body.direction !== 'down') throw badRequest('invalid_action', 'Only a vote down takes a "reason".');
      if (body.message !== undefined && body.reason !== 'other') {
        throw badRequest('invalid_action', 'Only a vote down with reason "other" takes a "message".');
      }
      break;
    case 'interaction':
      if (!body.buttonId) throw badRequest('invalid_action', 'An interaction needs the "buttonId" pressed.');
      break;
  }
  return body as SdkActionRequest;
}

export function sdkRoutes(app: App, { feed, sdkActions, sdkEvents }: Services): void {
  app.get(
    '/v1/sdk/streams/:streamId/cards',
    {
      config: { endUser: true },
      schema: {
        tags: ['sdk'],
        summary: "The stream's active cards for the token's user; 304 when If-None-Match holds the current ETag",
        params: Type.Object({ streamId: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: {
          200: Type.Unknown({ description: '{ userId, streamId, seq, cards: SdkCard[] } (docs/protocol.md)' }),
          304: Type.Null({ description: 'Not modified' }),
          401: ErrorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const { userId } = endUserOf(request);
      const { streamId } = request.params;
      const { seq, etag } = await feed.etag(userId, streamId);
      reply.header('etag', etag).header('cache-control', 'private, no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send(null);
      return feed.feed(userId, streamId, seq);
    },
  );

  app.post(
    '/v1/sdk/cards/:cardInstanceId/actions',
    {
      config: { endUser: true },
      schema: {
        tags: ['sdk'],
        summary: 'Dismiss, snooze, complete, vote on or record an interaction with one of your cards; idempotent by id',
        params: Type.Object({ cardInstanceId: Type.String({ minLength: 1, maxLength: 100 }) }),
        body: ActionBody,
        response: { 200: ActionResult, ...errors },
      },
    },
    async (request) => {
      const { userId } = endUserOf(request);
      return sdkActions.apply(userId, request.params.cardInstanceId, actionRequest(request.body));
    },
  );

  app.post(
    '/v1/sdk/events',
    {
      config: { endUser: true },
      schema: {
        tags: ['sdk'],
        summary: `Upload up to ${MAX_EVENTS_PER_UPLOAD} SDK analytics events`,
        body: Type.Object(
          { events: Type.Array(EventUpload, { minItems: 1, maxItems: MAX_EVENTS_PER_UPLOAD }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ accepted: Type.Integer(), duplicates: Type.Integer() }), 400: ErrorBodySchema, 401: ErrorBodySchema },
      },
    },
    async (request) => {
      const { userId } = endUserOf(request);
      return sdkEvents.store(userId, request.body.events);
    },
  );
}

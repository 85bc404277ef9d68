// Wire shapes of the SDK-facing API (docs/protocol.md): the feed, actions, analytics
// uploads and the WebSocket messages. The platform validates and builds them; the SDK
// imports the types.
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './common.js';
import { CardStatusSchema, EventSourceSchema } from './cards.js';
import { CardDefinitionSchema } from './definition.js';
import { ChannelCardSchema } from './channels.js';

/** A card as the SDK needs it: what to render, how to order it, what to fill in. */
export const SdkCardSchema = Type.Object({
  cardInstanceId: Type.String(),
  lifecycleId: Type.String(),
  cardTemplateId: Type.String(),
  cardTemplateName: Type.String(),
  cardTemplateVersion: Type.Integer(),
  eventSource: EventSourceSchema,
  streamId: Type.String(),
  priority: Type.Integer(),
  status: CardStatusSchema,
  definition: CardDefinitionSchema,
  runtimeVariables: Type.Record(Type.String(), Type.String(), { description: "the template's runtime variables and their defaults" }),
  created: Type.String(),
  updated: Type.String(),
  activeSince: Type.Union([Type.String(), Type.Null()], { description: 'when the card last became active: the second sort key of a stream' }),
  seen: Type.Optional(Type.Boolean({ description: 'in a feed: a card-displayed of this card is recorded for the user (on any device)' })),
  expiresAt: Type.Optional(Type.String()),
});
export type SdkCard = Static<typeof SdkCardSchema>;

/** `GET /v1/sdk/streams/{streamId}/cards` → 200 with `ETag`, or 304. */
/** The most cards one feed page holds. */
export const FEED_MAX_LIMIT = 5000;
/** Cards in a feed page unless `limit` says otherwise. */
export const FEED_DEFAULT_LIMIT = 500;

/** What a stream filter (CONTRACT §8a) may test, besides `variables.<name>`, and how. */
export const STREAM_FILTER_FIELDS = ['priority', 'cardTemplateId', 'cardTemplateName', 'created'] as const;
export const STREAM_FILTER_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'between'] as const;
/** One condition of a stream filter; all of a filter's conditions hold. */
export interface StreamFilterCondition {
  field: (typeof STREAM_FILTER_FIELDS)[number] | `variables.${string}`;
  op: (typeof STREAM_FILTER_OPS)[number];
  value: unknown;
}

/** `GET /v1/sdk/streams/{streamId}/cards?limit&after&filter`: a page of the stream in display order. */
export const SdkFeedQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: `0 to ${FEED_MAX_LIMIT} cards, default ${FEED_DEFAULT_LIMIT}; 0 answers the total and seq alone` })),
    after: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'a cardInstanceId of yours (the last card you hold): the page of the cards that come after it' })),
    filter: Type.Optional(Type.String({ maxLength: 4000, description: 'JSON list of { field, op, value } conditions that all hold (CONTRACT §8a); the page and total are those of the filtered stream' })),
  },
  { additionalProperties: false },
);

export const SdkFeedSchema = Type.Object({
  userId: Type.String(),
  streamId: Type.String(),
  seq: Type.Integer({ description: "the user's sequence number the feed is current to: resume the socket from here" }),
  cards: Type.Array(SdkCardSchema, { description: 'active cards in display order' }),
  total: Type.Integer({ description: 'every active card of the stream, however many this page holds' }),
  unseen: Type.Integer({ description: 'the active cards of the stream that no card-displayed has recorded for the user yet' }),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as `after` for the next page; null when this page ends the stream' }),
});
export type SdkFeed = Static<typeof SdkFeedSchema>;

export const VOTE_REASONS = ['not-relevant', 'too-often', 'other'] as const;
export type VoteReason = (typeof VOTE_REASONS)[number];
/** The longest `message` a vote-down with reason `other` may carry. */
export const VOTE_MESSAGE_MAX = 280;

export const SDK_ACTION_TYPES = ['dismiss', 'snooze', 'complete', 'vote', 'interaction'] as const;
export type SdkActionType = (typeof SDK_ACTION_TYPES)[number];

const Id = (description: string) => Type.String({ minLength: 1, maxLength: 100, description });

/** `POST /v1/sdk/cards/{cardInstanceId}/actions`: one body for every action type; which
 * fields each type takes is the server's cross-field rule (docs/protocol.md, "Actions"). */
export const SdkActionRequestSchema = Type.Object(
  {
    id: Id('a client-generated id (UUID) that makes the action idempotent'),
    type: StringEnum(SDK_ACTION_TYPES),
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
    at: Type.Optional(
      Type.String({ maxLength: 40, description: "when the user acted (ISO 8601): the action's events take this time, kept within the token's life" }),
    ),
  },
  { additionalProperties: false },
);
export type SdkActionRequest = Static<typeof SdkActionRequestSchema>;

export const SdkActionResultSchema = Type.Object({
  id: Type.String(),
  applied: Type.Boolean({ description: 'false: this id was already applied; nothing happened again' }),
  card: Type.Object({ cardInstanceId: Type.String(), status: CardStatusSchema, snoozedUntil: Type.Optional(Type.String()) }),
});
export type SdkActionResult = Static<typeof SdkActionResultSchema>;

export const SDK_EVENT_NAMES = [
  'sdk-initialized',
  'stream-displayed',
  'card-displayed',
  'request-failed',
  'card-voted-up',
  'card-voted-down',
  'snooze-options-displayed',
  'snooze-options-canceled',
  'card-subview-displayed',
  'card-subview-exited',
  'user-redirected',
  'runtime-vars-updated',
  'video-played',
  'video-completed',
] as const;
export type SdkEventName = (typeof SDK_EVENT_NAMES)[number];

/** Uploads carry at most this many events. */
export const MAX_EVENTS_PER_UPLOAD = 100;

const Bag = (description: string) => Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description }));
/** One SDK analytics event as uploaded; the server adds `endUserId` from the token. */
export const SdkEventUploadSchema = Type.Object(
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
export type SdkEventUpload = Static<typeof SdkEventUploadSchema>;

/** `POST /v1/sdk/events`. Each event is judged on its own (a bad one never costs the others
 * their place), so the envelope takes any object and the server checks each against
 * SdkEventUploadSchema. */
export const SdkEventsRequestSchema = Type.Object(
  {
    events: Type.Array(Type.Unsafe<unknown>({ type: 'object', description: 'an SdkEventUpload (docs/protocol.md)' }), {
      minItems: 1,
      maxItems: MAX_EVENTS_PER_UPLOAD,
    }),
  },
  { additionalProperties: false },
);

/** An uploaded event the server did not keep, and why; the others in its upload were kept. */
export const RefusedEventSchema = Type.Object({
  index: Type.Integer({ description: 'its place in the upload' }),
  id: Type.Optional(Type.String()),
  code: Type.String({ description: 'invalid_event | not_your_card | vote_not_offered' }),
  message: Type.String(),
});
export type RefusedEvent = Static<typeof RefusedEventSchema>;

export const SdkEventsResultSchema = Type.Object({
  accepted: Type.Integer({ description: 'events stored' }),
  duplicates: Type.Integer({ description: 'events whose id was already stored (or repeated in the upload)' }),
  refused: Type.Array(RefusedEventSchema),
});
export type SdkEventsResult = Static<typeof SdkEventsResultSchema>;

// ---- WebSocket `/v1/sdk/socket` ----

const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const ClientMessageSchema = Type.Union([
  /** First message, within 10 s of opening. `since`: the last sequence the client holds. */
  Type.Object({ type: Type.Literal('auth'), token: Type.String(), since: Type.Optional(Seq) }),
  /** Instead of `auth`: watch a channel (no token; anyone with the link may). */
  Type.Object({ type: Type.Literal('channel'), channelId: Type.String({ maxLength: 100 }) }),
  /** A new token for the same user; the socket stays open. */
  Type.Object({ type: Type.Literal('token'), token: Type.String() }),
  /** Asks again for every change after `since` (after a gap). */
  Type.Object({ type: Type.Literal('resume'), since: Seq }),
  Type.Object({ type: Type.Literal('ping'), t: Type.Optional(Type.Number()) }),
  Type.Object({ type: Type.Literal('pong'), t: Type.Optional(Type.Number()) }),
]);
export type ClientMessage = Static<typeof ClientMessageSchema>;

export const ServerMessageSchema = Type.Union([
  /** Authenticated. `seq` is the user's latest sequence number. */
  Type.Object({ type: Type.Literal('ready'), userId: Type.String(), seq: Seq, expiresAt: Type.String() }),
  /** A card changed. `card` is present when the card is active (show it), else remove it. */
  Type.Object({
    type: Type.Literal('change'),
    seq: Seq,
    cardInstanceId: Type.String(),
    streamId: Type.String(),
    status: CardStatusSchema,
    card: Type.Optional(SdkCardSchema),
  }),
  /** The changes after the client's `since` are no longer kept: fetch the feed again. */
  Type.Object({ type: Type.Literal('reload'), seq: Seq }),
  /** A refreshed token was accepted. */
  Type.Object({ type: Type.Literal('token-accepted'), expiresAt: Type.String() }),
  Type.Object({ type: Type.Literal('ping'), t: Type.Number() }),
  Type.Object({ type: Type.Literal('pong'), t: Type.Optional(Type.Number()) }),
  /** Watching the channel; fetch its feed now, then apply the changes that follow. */
  Type.Object({ type: Type.Literal('channel-ready'), channelId: Type.String() }),
  Type.Object({ type: Type.Literal('channel-card'), channelId: Type.String(), op: Type.Literal('upsert'), card: ChannelCardSchema }),
  Type.Object({ type: Type.Literal('channel-card'), channelId: Type.String(), op: Type.Literal('delete'), cardId: Type.String() }),
  /** The channel was deleted; the socket closes with 4404. */
  Type.Object({ type: Type.Literal('channel-deleted'), channelId: Type.String() }),
]);
export type ServerMessage = Static<typeof ServerMessageSchema>;

/** Close codes (docs/protocol.md). 44xx: do not reconnect until there is a new token. */
export const CLOSE_CODES = {
  malformed: 4400,
  tokenInvalid: 4401,
  userMismatch: 4403,
  authTimeout: 4408,
  tokenExpired: 4419,
  heartbeatTimeout: 4000,
  slowConsumer: 4001,
  channelNotFound: 4404,
  /** Too many sockets from one address, or too many messages on one socket: reconnect later. */
  tooMany: 4029,
  serverShutdown: 1001,
} as const;

/** Close codes after which retrying with the same token is pointless (the SDK imports this type). */
export type AuthCloseCode = typeof CLOSE_CODES.tokenInvalid | typeof CLOSE_CODES.userMismatch | typeof CLOSE_CODES.tokenExpired;

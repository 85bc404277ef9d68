// Wire shapes of the SDK-facing API (docs/protocol.md): the feed, actions, analytics
// uploads and the WebSocket messages. The platform builds them; the SDK imports the types.
import type { CardStatus, EventSource } from './cards.js';
import type { CardDefinition } from './definition.js';
import type { ChannelCard } from './channels.js';

/** A card as the SDK needs it: what to render, how to order it, what to fill in. */
export interface SdkCard {
  cardInstanceId: string;
  lifecycleId: string;
  cardTemplateId: string;
  cardTemplateName: string;
  cardTemplateVersion: number;
  eventSource: EventSource;
  streamId: string;
  priority: number;
  status: CardStatus;
  /** With `{{name}}` filled and `!{name}` kept for the SDK to fill. */
  definition: CardDefinition;
  /** The template's runtime variables and their defaults. */
  runtimeVariables: Record<string, string>;
  created: string;
  updated: string;
  /** When the card last became active: the second sort key of a stream (CONTRACT §6). */
  activeSince: string | null;
  expiresAt?: string;
}

/** `GET /v1/sdk/streams/{streamId}/cards` → 200 with `ETag`, or 304. */
export interface SdkFeed {
  userId: string;
  streamId: string;
  /** The user's sequence number the feed is current to: resume the socket from here. */
  seq: number;
  /** Active cards in display order. */
  cards: SdkCard[];
}

export type SdkActionRequest =
  | { id: string; type: 'dismiss' }
  | { id: string; type: 'snooze'; until: string }
  | { id: string; type: 'snooze'; interval: string }
  | { id: string; type: 'complete'; values?: Record<string, string | number | boolean>; payload?: unknown; buttonId?: string }
  | { id: string; type: 'vote'; direction: 'up' | 'down'; reason?: VoteReason; message?: string }
  | { id: string; type: 'interaction'; blockId?: string; buttonId: string };

export const VOTE_REASONS = ['not-relevant', 'too-often', 'other'] as const;
export type VoteReason = (typeof VOTE_REASONS)[number];
/** The longest `message` a vote-down with reason `other` may carry. */
export const VOTE_MESSAGE_MAX = 280;

/** `POST /v1/sdk/cards/{cardInstanceId}/actions` → 200. */
export interface SdkActionResult {
  id: string;
  /** false: this id was already applied; nothing happened again. */
  applied: boolean;
  card: { cardInstanceId: string; status: CardStatus; snoozedUntil?: string };
}

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

/** One SDK analytics event as uploaded; the server adds `endUserId` from the token. */
export interface SdkEventUpload {
  id: string;
  analyticsEvent: SdkEventName;
  timestamp: string;
  properties?: Record<string, unknown>;
  hostContext?: Record<string, unknown>;
  eventContext?: Record<string, unknown>;
  sdkContext?: Record<string, unknown>;
  streamContext?: Record<string, unknown>;
  cardContext?: Record<string, unknown>;
}

/** `POST /v1/sdk/events { events }` (at most 100) → 200. */
export interface SdkEventsResult {
  accepted: number;
  duplicates: number;
}

// ---- WebSocket `/v1/sdk/socket` ----

export type ClientMessage =
  /** First message, within 10 s of opening. `since`: the last sequence the client holds. */
  | { type: 'auth'; token: string; since?: number }
  /** Instead of `auth`: watch a channel (no token; anyone with the link may). */
  | { type: 'channel'; channelId: string }
  /** A new token for the same user; the socket stays open. */
  | { type: 'token'; token: string }
  /** Asks again for every change after `since` (after a gap). */
  | { type: 'resume'; since: number }
  | { type: 'ping'; t?: number }
  | { type: 'pong'; t?: number };

export type ServerMessage =
  /** Authenticated. `seq` is the user's latest sequence number. */
  | { type: 'ready'; userId: string; seq: number; expiresAt: string }
  /** A card changed. `card` is present when the card is active (show it), else remove it. */
  | { type: 'change'; seq: number; cardInstanceId: string; streamId: string; status: CardStatus; card?: SdkCard }
  /** The changes after the client's `since` are no longer kept: fetch the feed again. */
  | { type: 'reload'; seq: number }
  /** A refreshed token was accepted. */
  | { type: 'token-accepted'; expiresAt: string }
  | { type: 'ping'; t: number }
  | { type: 'pong'; t?: number }
  /** Watching the channel; fetch its feed now, then apply the changes that follow. */
  | { type: 'channel-ready'; channelId: string }
  | { type: 'channel-card'; channelId: string; op: 'upsert'; card: ChannelCard }
  | { type: 'channel-card'; channelId: string; op: 'delete'; cardId: string }
  /** The channel was deleted; the socket closes with 4404. */
  | { type: 'channel-deleted'; channelId: string };

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
  serverShutdown: 1001,
} as const;

/** Close codes after which retrying with the same token is pointless (the SDK imports this type). */
export type AuthCloseCode = typeof CLOSE_CODES.tokenInvalid | typeof CLOSE_CODES.userMismatch | typeof CLOSE_CODES.tokenExpired;

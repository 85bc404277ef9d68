// Wire shapes of channels (CONTRACT §5, seed 004), shared by the platform and the SDK.
import type { ChannelBlock, Tone } from './definition.js';

export interface Channel {
  id: string;
  name: string;
  created_at: string;
}

/** A channel card as the API returns it and viewers receive it. Blocks always carry ids. */
export interface ChannelCard {
  id: string;
  channel_id: string;
  status: Tone;
  blocks: (ChannelBlock & { id: string })[];
  created_at: string;
  updated_at: string;
}

/** `GET /v1/sdk/channels/{channelId}/cards` (public) → 200 with ETag, or 304. */
export interface ChannelFeed {
  channelId: string;
  name: string;
  /** Newest first, at most 200. */
  cards: ChannelCard[];
}

/** What a change to a channel's cards tells its viewers. */
export type ChannelChange = { op: 'upsert'; card: ChannelCard } | { op: 'delete'; cardId: string };

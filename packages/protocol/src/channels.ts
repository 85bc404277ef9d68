// Channels (CONTRACT §5, seed 004): the management API, the public feed viewers read and the
// changes they receive. Shared by the platform and the SDK.
import { Type, type Static } from '@sinclair/typebox';
import { PageSchema } from './common.js';
import { ChannelBlockSchema, ToneSchema, type ChannelBlock } from './definition.js';

/** A stored channel block always carries its id (one is generated when absent). */
export type StoredChannelBlock = ChannelBlock & { id: string };
const StoredBlockSchema = Type.Unsafe<StoredChannelBlock>(ChannelBlockSchema);

export const ChannelSchema = Type.Object({ id: Type.String(), name: Type.String(), created_at: Type.String() });
export type Channel = Static<typeof ChannelSchema>;

export const ChannelInputSchema = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

/** A channel card as the API returns it and viewers receive it. */
export const ChannelCardSchema = Type.Object({
  id: Type.String(),
  channel_id: Type.String(),
  status: ToneSchema,
  blocks: Type.Array(StoredBlockSchema),
  created_at: Type.String(),
  updated_at: Type.String(),
});
export type ChannelCard = Static<typeof ChannelCardSchema>;

export const ChannelCardInputSchema = Type.Object(
  { blocks: Type.Array(ChannelBlockSchema, { minItems: 1, maxItems: 100 }), status: Type.Optional(ToneSchema) },
  { additionalProperties: false },
);
export type ChannelCardInput = Static<typeof ChannelCardInputSchema>;

export const ChannelCardCreatedSchema = Type.Pick(ChannelCardSchema, ['id', 'channel_id', 'created_at']);

export const BlockPatchSchema = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100 }), patch: Type.Object({}, { additionalProperties: true }) },
  { additionalProperties: false },
);
export type BlockPatch = Static<typeof BlockPatchSchema>;

export const ChannelCardPatchSchema = Type.Object(
  { status: Type.Optional(ToneSchema), blocks: Type.Optional(Type.Array(BlockPatchSchema, { maxItems: 100 })) },
  { additionalProperties: false },
);
export const ChannelCardPatchedSchema = Type.Omit(ChannelCardSchema, ['created_at']);

export const InteractionSchema = Type.Object({
  id: Type.String(),
  card_id: Type.Union([Type.String(), Type.Null()], { description: 'null once the card is deleted' }),
  block_id: Type.String(),
  button_id: Type.String(),
  created_at: Type.String(),
});
export type Interaction = Static<typeof InteractionSchema>;

/** A viewer pressed a button without an action. */
export const InteractionInputSchema = Type.Object(
  { blockId: Type.String({ minLength: 1, maxLength: 100 }), buttonId: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
export const InteractionCreatedSchema = Type.Object({ id: Type.String() });

export const ChannelPageSchema = PageSchema(ChannelSchema);
export const ChannelCardPageSchema = PageSchema(ChannelCardSchema);
export const InteractionPageSchema = PageSchema(InteractionSchema);

/** `GET /v1/sdk/channels/{channelId}/cards` (public) → 200 with ETag, or 304. */
export const ChannelFeedSchema = Type.Object({
  channelId: Type.String(),
  name: Type.String(),
  cards: Type.Array(ChannelCardSchema, { description: 'newest first, at most 200' }),
});
export type ChannelFeed = Static<typeof ChannelFeedSchema>;

/** What a change to a channel's cards tells its viewers. */
export const ChannelChangeSchema = Type.Union([
  Type.Object({ op: Type.Literal('upsert'), card: ChannelCardSchema }),
  Type.Object({ op: Type.Literal('delete'), cardId: Type.String() }),
]);
export type ChannelChange = Static<typeof ChannelChangeSchema>;

// The card definition of CONTRACT §6 as TypeBox schemas: the server validates with them,
// the OpenAPI document describes them, and the SDK imports the derived types only.
import { Type, type Static } from '@sinclair/typebox';

const BlockId = Type.Optional(Type.String({ minLength: 1, maxLength: 100 }));
const ShortText = Type.String({ maxLength: 10_000 });
const Url = Type.String({ minLength: 1, maxLength: 4096 });

export const ToneSchema = Type.Union([
  Type.Literal('default'),
  Type.Literal('success'),
  Type.Literal('warning'),
  Type.Literal('error'),
  Type.Literal('pending'),
]);

export const ButtonActionSchema = Type.Union([
  Type.Object({ type: Type.Literal('submit'), payload: Type.Optional(Type.Unknown()) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('link'), url: Url }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('subview'), subviewId: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('dismiss') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('snooze'), interval: Type.String({ minLength: 3, maxLength: 40 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('custom'), payload: Type.Unknown() }, { additionalProperties: false }),
]);

export const ButtonSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 100 }),
    label: Type.String({ minLength: 1, maxLength: 200 }),
    style: Type.Optional(Type.Union([Type.Literal('primary'), Type.Literal('secondary'), Type.Literal('danger')])),
    disabled: Type.Optional(Type.Boolean()),
    action: Type.Optional(ButtonActionSchema),
  },
  { additionalProperties: false },
);

const block = <T extends string, P extends Parameters<typeof Type.Object>[0]>(type: T, props: P) =>
  Type.Object({ type: Type.Literal(type), id: BlockId, ...props }, { additionalProperties: false });

export const HeadlineBlockSchema = block('headline', { content: ShortText });
export const TextBlockSchema = block('text', {
  content: ShortText,
  size: Type.Optional(Type.Union([Type.Literal('sm'), Type.Literal('md'), Type.Literal('lg')])),
  bold: Type.Optional(Type.Boolean()),
  format: Type.Optional(Type.Union([Type.Literal('plain'), Type.Literal('markdown')])),
});
export const BadgeBlockSchema = block('badge', {
  label: Type.String({ maxLength: 200 }),
  variant: Type.Optional(Type.String({ maxLength: 40 })),
});
export const KvRowSchema = Type.Object(
  { key: Type.String({ maxLength: 500 }), value: Type.String({ maxLength: 5000 }) },
  { additionalProperties: false },
);
export const KvBlockSchema = block('kv', { rows: Type.Array(KvRowSchema, { maxItems: 200 }) });
export const ImageBlockSchema = block('image', {
  url: Url,
  alt: Type.String({ maxLength: 1000 }),
  height: Type.Optional(Type.Union([Type.Literal('tall'), Type.Literal('medium'), Type.Literal('short'), Type.Literal('original')])),
});
export const VideoBlockSchema = block('video', { url: Url, poster: Type.Optional(Url) });
export const DividerBlockSchema = block('divider', {});
export const InputBlockSchema = block('input', {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  kind: Type.Union([Type.Literal('text'), Type.Literal('number'), Type.Literal('select'), Type.Literal('checkbox'), Type.Literal('date')]),
  label: Type.String({ maxLength: 500 }),
  required: Type.Optional(Type.Boolean()),
  options: Type.Optional(Type.Array(Type.String({ maxLength: 500 }), { maxItems: 100 })),
  maxLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
});
export const ButtonBlockSchema = block('button', { buttons: Type.Array(ButtonSchema, { minItems: 1, maxItems: 10 }) });

/** The blocks cards and channel cards share; each adds its own buttons (and cards, inputs). */
const DISPLAY_BLOCKS = [
  HeadlineBlockSchema,
  TextBlockSchema,
  BadgeBlockSchema,
  KvBlockSchema,
  ImageBlockSchema,
  VideoBlockSchema,
  DividerBlockSchema,
] as const;

export const BlockSchema = Type.Union([...DISPLAY_BLOCKS, InputBlockSchema, ButtonBlockSchema]);

const Blocks = Type.Array(BlockSchema, { maxItems: 100 });

export const CardDefinitionSchema = Type.Object(
  {
    status: Type.Optional(ToneSchema),
    priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    voting: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('useful'), Type.Literal('notUseful'), Type.Literal('both')])),
    dismissible: Type.Optional(Type.Boolean()),
    snoozable: Type.Optional(Type.Boolean()),
    blocks: Blocks,
    subviews: Type.Optional(
      Type.Record(
        Type.String({ minLength: 1, maxLength: 100 }),
        Type.Object({ title: Type.String({ maxLength: 500 }), blocks: Blocks }, { additionalProperties: false }),
      ),
    ),
  },
  { additionalProperties: false },
);

/** Channel cards (CONTRACT §5): the blocks of §6 but `input`; buttons link, custom or no action. */
export const ChannelButtonSchema = Type.Object(
  {
    ...Type.Omit(ButtonSchema, ['action']).properties,
    action: Type.Optional(
      Type.Union([
        Type.Object({ type: Type.Literal('link'), url: Url }, { additionalProperties: false }),
        Type.Object({ type: Type.Literal('custom'), payload: Type.Unknown() }, { additionalProperties: false }),
      ]),
    ),
  },
  { additionalProperties: false },
);
export const ChannelButtonBlockSchema = block('button', { buttons: Type.Array(ChannelButtonSchema, { minItems: 1, maxItems: 10 }) });
export const ChannelBlockSchema = Type.Union([...DISPLAY_BLOCKS, ChannelButtonBlockSchema]);
export type ChannelBlock = Static<typeof ChannelBlockSchema>;

/** When a card shows and leaves, and its priority (CONTRACT §5). */
export const CardOptionsSchema = Type.Object(
  {
    expires: Type.Optional(Type.String({ description: 'ISO 8601 time with Z or an offset' })),
    expiresInterval: Type.Optional(Type.String({ description: 'ISO 8601 duration, e.g. PT10S' })),
    embargo: Type.Optional(Type.String({ description: 'ISO 8601 time with Z or an offset' })),
    priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
  },
  { additionalProperties: false },
);

export type CardOptions = Static<typeof CardOptionsSchema>;
export type Tone = Static<typeof ToneSchema>;
export type ButtonAction = Static<typeof ButtonActionSchema>;
export type Button = Static<typeof ButtonSchema>;
export type Block = Static<typeof BlockSchema>;
export type InputBlock = Static<typeof InputBlockSchema>;
export type CardDefinition = Static<typeof CardDefinitionSchema>;

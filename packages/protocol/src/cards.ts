// Card instances and the Cards API (CONTRACT §4): the card as returned, its query
// attributes, and the answers of queries and actions. Shared by the platform and the SDK.
import { Type, type Static } from '@sinclair/typebox';
import { DigitsSchema, ListSchema, StringEnum } from './common.js';
import { CardDefinitionSchema, CardOptionsSchema, type CardOptions } from './definition.js';

export type { CardOptions };

export const OPEN_STATES = ['active', 'embargoed', 'snoozed'] as const;
export const CLOSED_STATES = ['completed', 'dismissed', 'cancelled', 'expired'] as const;
export const CARD_STATES = [...OPEN_STATES, ...CLOSED_STATES] as const;
export const CARD_ACTIONS = ['dismiss', 'complete', 'snooze', 'cancel'] as const;

export const CardStatusSchema = StringEnum(CARD_STATES);
export const OpenStateSchema = StringEnum(OPEN_STATES, { description: 'only open cards are cancelled' });
export const EventSourceSchema = StringEnum(['live', 'test'] as const);

export type OpenState = (typeof OPEN_STATES)[number];
export type ClosedState = (typeof CLOSED_STATES)[number];
export type CardStatus = (typeof CARD_STATES)[number];
export type CardAction = (typeof CARD_ACTIONS)[number];
export type EventSource = Static<typeof EventSourceSchema>;

export const CardPayloadSchema = Type.Object({
  detail: Type.Record(Type.String(), Type.String(), { description: 'the variables the card was sent with' }),
  target: Type.Object({ usersById: Type.Array(Type.String()) }),
  cardOptions: CardOptionsSchema,
  metadata: Type.Record(Type.String(), Type.Unknown()),
});
export type CardPayload = Static<typeof CardPayloadSchema>;

export const CompletionSchema = Type.Object({ payload: Type.Unknown(), at: Type.String() });

export const CardSchema = Type.Object(
  {
    eventName: Type.String(),
    eventSource: EventSourceSchema,
    cardTemplateId: Type.String(),
    cardTemplateName: Type.String(),
    cardTemplateVersion: Type.Integer(),
    cardInstanceId: Type.String(),
    lifecycleId: Type.String(),
    flowInstanceId: Type.String(),
    flowInvocationId: Type.String(),
    streamId: Type.String(),
    priority: Type.Integer(),
    definition: CardDefinitionSchema,
    payload: CardPayloadSchema,
    status: CardStatusSchema,
    userId: Type.String(),
    created: Type.String(),
    updated: Type.String(),
    embargoUntil: Type.Optional(Type.String()),
    expiresAt: Type.Optional(Type.String()),
    snoozedUntil: Type.Optional(Type.String()),
    completion: Type.Optional(CompletionSchema),
  },
  { description: 'A card instance (CONTRACT §4)' },
);
export type Card = Static<typeof CardSchema>;

const Attribute = () => Type.Optional(Type.String({ maxLength: 256 }));
/** The query attributes that select cards: GET /v1/cards, /count, the actions and the
 * criteria of cancel jobs. A new attribute is added here and mapped to its column in the
 * query builder (the platform's cards/filter.ts); nothing else lists them. */
export const CardAttributesSchema = Type.Object({
  eventName: Attribute(),
  lifecycleId: Attribute(),
  cardTemplateId: Attribute(),
  cardInstanceId: Attribute(),
  flowInstanceId: Attribute(),
  flowInvocationId: Attribute(),
  userId: Attribute(),
});
export type CardAttributes = Static<typeof CardAttributesSchema>;
export type CardAttribute = keyof CardAttributes;
export const CARD_ATTRIBUTES = Object.keys(CardAttributesSchema.properties) as CardAttribute[];

export const CardFilterQuerySchema = Type.Object(
  { ...CardAttributesSchema.properties, status: Type.Optional(CardStatusSchema) },
  { additionalProperties: false },
);
export type CardFilterQuery = Static<typeof CardFilterQuerySchema>;

export const CardListQuerySchema = Type.Object(
  {
    ...CardFilterQuerySchema.properties,
    limit: Type.Optional(DigitsSchema('1 to 1000, default 100')),
    offset: Type.Optional(DigitsSchema('default 0')),
  },
  { additionalProperties: false },
);

export const CardActionQuerySchema = Type.Object(
  {
    ...CardFilterQuerySchema.properties,
    multiple: Type.Optional(StringEnum(['1', '0', 'true', 'false'] as const)),
    limit: Type.Optional(DigitsSchema('cards changed by one request: default 500, at most 1000')),
    offset: Type.Optional(DigitsSchema('ignored by actions')),
  },
  { additionalProperties: false },
);

export const CardListSchema = ListSchema(CardSchema);
export const CardCountSchema = Type.Object({ total: Type.Integer() });

/** `PUT /v1/cards/snooze` body; the SDK's snooze takes the same two forms. */
export const SnoozeBodySchema = Type.Union([
  Type.Object({ until: Type.String({ maxLength: 40, description: 'ISO 8601 time' }) }, { additionalProperties: false }),
  Type.Object({ interval: Type.String({ maxLength: 40, description: 'ISO 8601 duration' }) }, { additionalProperties: false }),
]);
export type SnoozeBody = Static<typeof SnoozeBodySchema>;

export const CompleteBodySchema = Type.Unknown({ description: 'Optional JSON kept as completion.payload' });

export const CardActionResultSchema = Type.Object({
  data: Type.Array(
    Type.Object({
      eventName: Type.String(),
      eventSource: Type.String(),
      lifecycleId: Type.String(),
      cardTemplateId: Type.String(),
      cardInstanceId: Type.String(),
      userId: Type.String(),
      action: StringEnum(CARD_ACTIONS),
    }),
  ),
  summary: Type.Object({
    total: Type.Integer({ description: 'eligible cards, before the cap' }),
    updated: Type.Integer({ description: 'cards changed' }),
  }),
});
export type CardActionResult = Static<typeof CardActionResultSchema>;

// Action flows (CONTRACT §5): a request that sends a template's card, and its answer.
import { Type, type Static } from '@sinclair/typebox';
import { CardStatusSchema } from './cards.js';
import { CardOptionsSchema } from './definition.js';
import { AllTargetSchema, FilterTargetSchema, SegmentTargetSchema, TagTargetSchema } from './audiences.js';

/** One request sends to at most this many users (more → 400 too_many_targets). */
export const MAX_TARGETS = 10_000;

export const UserTargetSchema = Type.Object(
  {
    type: Type.Literal('user'),
    targetUserIds: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1 }),
  },
  { additionalProperties: false },
);

export const FlowPayloadSchema = Type.Object(
  {
    variables: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    cardOptions: Type.Optional(CardOptionsSchema),
  },
  { additionalProperties: false },
);

export const TARGETS = [UserTargetSchema, TagTargetSchema, SegmentTargetSchema, FilterTargetSchema, AllTargetSchema];
export type Target = Static<(typeof TARGETS)[number]>;
/** One of the targets, told apart by `type` (so a bad target's error names its own field). */
export const TargetSchema = Type.Unsafe<Target>({ type: 'object', oneOf: TARGETS, discriminator: { propertyName: 'type' } });
export type UserTarget = Static<typeof UserTargetSchema>;

export const FlowSchema = Type.Object(
  {
    eventName: Type.Optional(Type.String({ maxLength: 200 })),
    target: TargetSchema,
    payload: Type.Optional(FlowPayloadSchema),
  },
  { additionalProperties: false },
);
export type Flow = Static<typeof FlowSchema>;
/** A flow whose target lists its users. */
export type UserFlow = Flow & { target: UserTarget };

export const FlowRequestSchema = Type.Object({ flows: Type.Array(FlowSchema, { minItems: 1 }) }, { additionalProperties: false });
export type FlowRequest = Static<typeof FlowRequestSchema>;

export const SentCardSchema = Type.Object({
  userId: Type.String(),
  cardInstanceId: Type.String(),
  lifecycleId: Type.String(),
  flowInstanceId: Type.String(),
  status: CardStatusSchema,
});
export type SentCard = Static<typeof SentCardSchema>;

export const SendResultSchema = Type.Object({ flowInvocationId: Type.String(), cards: Type.Array(SentCardSchema) });
export type SendResult = Static<typeof SendResultSchema>;

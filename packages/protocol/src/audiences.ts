// Audiences (CONTRACT §9): user profiles with attributes and tags, segments (saved filters
// over them), the audience targets of a flow, and the send jobs that reach them.
import { Type, type Static } from '@sinclair/typebox';
import { PageSchema, StringEnum } from './common.js';

const UserId = Type.String({ minLength: 1, maxLength: 256 });
/** Attribute and tag names: letters, digits and `_ . -`, as query and filter text can hold them. */
export const AttributeNameSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' });
export const TagSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
export const AttributeValueSchema = Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean()]);
export type AttributeValue = Static<typeof AttributeValueSchema>;

/** At most this many attributes and tags on one profile. */
export const MAX_ATTRIBUTES = 100;
export const MAX_TAGS = 100;
/** At most this many users in one batch. */
export const MAX_BATCH_USERS = 10_000;

/** `PUT /v1/users/{userId}`: attributes merge (`null` removes one); `tags`, when given, replace. */
export const ProfileInputSchema = Type.Object(
  {
    attributes: Type.Optional(
      Type.Record(AttributeNameSchema, Type.Union([AttributeValueSchema, Type.Null()]), { maxProperties: MAX_ATTRIBUTES, additionalProperties: false }),
    ),
    tags: Type.Optional(Type.Array(TagSchema, { maxItems: MAX_TAGS, uniqueItems: true })),
  },
  { additionalProperties: false },
);
export type ProfileInput = Static<typeof ProfileInputSchema>;

export const ProfileSchema = Type.Object({
  userId: Type.String(),
  attributes: Type.Record(Type.String(), AttributeValueSchema),
  tags: Type.Array(Type.String()),
  created: Type.String(),
  updated: Type.String(),
});
export type Profile = Static<typeof ProfileSchema>;

export const ProfileBatchSchema = Type.Object(
  {
    users: Type.Array(Type.Object({ userId: UserId, ...ProfileInputSchema.properties }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: MAX_BATCH_USERS,
    }),
  },
  { additionalProperties: false },
);
export type ProfileBatch = Static<typeof ProfileBatchSchema>;
export const ProfileBatchResultSchema = Type.Object({ updated: Type.Integer({ description: 'profiles made or changed' }) });

export const ProfileListQuerySchema = Type.Object(
  {
    tag: Type.Optional(TagSchema),
    segmentId: Type.Optional(Type.String({ maxLength: 100 })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1 to 1000, default 100' })),
    cursor: Type.Optional(Type.String({ maxLength: 400, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);
export const ProfilePageSchema = PageSchema(ProfileSchema);

export const CONDITION_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'exists', 'notExists', 'contains'] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

/** Has the tag, or an attribute compares as `op` says. */
export const ConditionSchema = Type.Union([
  Type.Object({ tag: TagSchema }, { additionalProperties: false }),
  Type.Object(
    {
      attribute: AttributeNameSchema,
      op: StringEnum(CONDITION_OPS),
      value: Type.Optional(Type.Union([AttributeValueSchema, Type.Array(AttributeValueSchema, { maxItems: 1000 })])),
    },
    { additionalProperties: false },
  ),
]);
export type Condition = Static<typeof ConditionSchema>;

/** Every condition of `all` holds, and at least one of `any` (both given: both hold). */
export const AudienceFilterSchema = Type.Object(
  {
    all: Type.Optional(Type.Array(ConditionSchema, { maxItems: 50 })),
    any: Type.Optional(Type.Array(ConditionSchema, { maxItems: 50 })),
  },
  { additionalProperties: false },
);
export type AudienceFilter = Static<typeof AudienceFilterSchema>;

export const SegmentInputSchema = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), filter: AudienceFilterSchema },
  { additionalProperties: false },
);
export type SegmentInput = Static<typeof SegmentInputSchema>;

export const SegmentSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  filter: AudienceFilterSchema,
  created: Type.String(),
  updated: Type.String(),
});
export type Segment = Static<typeof SegmentSchema>;
export const SegmentListSchema = Type.Object({ data: Type.Array(SegmentSchema) });
export const SegmentCountSchema = Type.Object({ total: Type.Integer() });

/** The audience targets of a flow (the `user` target is in flows.ts). */
export const TagTargetSchema = Type.Object(
  { type: Type.Literal('tag'), tags: Type.Array(TagSchema, { minItems: 1, maxItems: 50 }), match: Type.Optional(StringEnum(['any', 'all'] as const)) },
  { additionalProperties: false },
);
export const SegmentTargetSchema = Type.Object({ type: Type.Literal('segment'), segmentId: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
export const FilterTargetSchema = Type.Object({ type: Type.Literal('filter'), filter: AudienceFilterSchema }, { additionalProperties: false });
export const AllTargetSchema = Type.Object({ type: Type.Literal('all') }, { additionalProperties: false });
export type AudienceTarget = Static<typeof TagTargetSchema> | Static<typeof SegmentTargetSchema> | Static<typeof FilterTargetSchema> | Static<typeof AllTargetSchema>;

export const SEND_JOB_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
export type SendJobStatus = (typeof SEND_JOB_STATUSES)[number];

/** A send to an audience, answered at once with 202. */
export const SendJobAcceptedSchema = Type.Object({ flowInvocationId: Type.String(), sendJobId: Type.String(), statusUrl: Type.String() });
export type SendJobAccepted = Static<typeof SendJobAcceptedSchema>;

export const SendJobSchema = Type.Object({
  id: Type.String(),
  status: StringEnum(SEND_JOB_STATUSES),
  flowInvocationId: Type.String(),
  matched: Type.Integer({ description: 'members of the audience when the job started' }),
  sent: Type.Integer({ description: 'cards sent so far' }),
  created: Type.String(),
  finished: Type.Union([Type.String(), Type.Null()]),
});
export type SendJob = Static<typeof SendJobSchema>;

/** `segment-entered` / `segment-exited` carry these properties. */
export interface SegmentEventProperties {
  segmentId: string;
  segmentName: string;
}

// Bulk cancel jobs (CONTRACT §4, seed 002): the request, and a job as its status reads.
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './common.js';
import { CardAttributesSchema, OpenStateSchema } from './cards.js';

/** One job cancels at most this many cards; the rest wait for another job. */
export const MAX_CARDS_PER_JOB = 1_000_000;

export const CANCEL_JOB_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
export type CancelJobStatus = (typeof CANCEL_JOB_STATUSES)[number];

export const CancelCriteriaSchema = Type.Object(
  { ...CardAttributesSchema.properties, status: Type.Optional(OpenStateSchema) },
  { additionalProperties: false, minProperties: 1, description: 'Cards must match every criterion; at least one is required.' },
);
export type CancelCriteria = Static<typeof CancelCriteriaSchema>;

export const CancelJobRequestSchema = Type.Object({ criteria: CancelCriteriaSchema }, { additionalProperties: false });
export type CancelJobRequest = Static<typeof CancelJobRequestSchema>;

export const CancelPreviewSchema = Type.Object({ matched: Type.Integer() });

export const CancelJobAcceptedSchema = Type.Object({
  id: Type.String(),
  status: StringEnum(CANCEL_JOB_STATUSES),
  statusUrl: Type.String(),
});

export const CancelJobSchema = Type.Object({
  id: Type.String(),
  status: StringEnum(CANCEL_JOB_STATUSES),
  criteria: CancelCriteriaSchema,
  matched: Type.Integer({ description: `open cards matching when the job was made, at most ${MAX_CARDS_PER_JOB}` }),
  cancelled: Type.Integer(),
  requestedBy: Type.String({ description: 'the client id of the credential that asked' }),
  created: Type.String(),
  finished: Type.Union([Type.String(), Type.Null()]),
});
export type CancelJob = Static<typeof CancelJobSchema>;

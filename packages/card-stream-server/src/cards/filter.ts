// The query builder of the Cards API (CONTRACT §4): how each query attribute of
// CardAttributesSchema (packages/protocol) narrows a query. A new attribute is one schema
// field there and one column here.
import type { ExpressionBuilder, Expression, Kysely, SqlBool } from 'kysely';
import type { Database } from '../store/schema.js';
import { derivedId, type DerivedIdKind } from '../ids.js';
import { CARD_ATTRIBUTES, type CardAttribute, type CardFilterQuery, type CardStatus } from '../../../protocol/src/cards.js';

const COLUMN_OF = {
  eventName: 'event_name',
  lifecycleId: 'lifecycle_id',
  cardTemplateId: 'card_template_id',
  cardInstanceId: 'card_instance_id',
  flowInstanceId: 'flow_instance_id',
  flowInvocationId: 'flow_invocation_id',
  userId: 'user_id',
} as const satisfies Record<CardAttribute, string>;

const DERIVED = { lifecycleId: 'lifecycle', flowInstanceId: 'flowInstance' } as const;

/**
 * `column` is `id`: stored whole (its index holds only such), or stored as '' on the card
 * whose id it is made from (ids.ts). The `<> ''` lets SQLite use the partial index.
 */
function derivedIdIs(eb: ExpressionBuilder<Database, 'cards'>, column: 'lifecycle_id' | 'flow_instance_id' | 'flow_invocation_id', id: string, kind: DerivedIdKind): Expression<SqlBool> {
  const stored = eb.and([eb(column, '=', id), eb(column, '<>', '')]);
  const cardId = derivedId(id, kind);
  return cardId === undefined ? stored : eb.or([stored, eb.and([eb('card_instance_id', '=', cardId), eb(column, '=', '')])]);
}

/** Which cards a query, an action or a cancel job means: attributes, and a status. */
export type CardFilter = CardFilterQuery;

/** The send job that made a flow invocation's cards: they are of its template, made no earlier than `cardsFrom`. */
export interface InvocationJob {
  templateId: string;
  cardsFrom: number;
}

/** A filter ready to query with: its flowInvocationId, if any, looked up among send jobs (resolveFilter). */
export type ResolvedFilter = CardFilter & { readonly invocationJob: InvocationJob | null };

/**
 * Which send job, if any, made each flow invocation asked about. A job's invocation id is made
 * when the job is, and is known to nobody before it commits, so an id found to be no job's
 * never becomes one: both answers are kept.
 */
const invocationJobs = new Map<string, InvocationJob | null>();
const KEEP_INVOCATIONS = 10_000;

/** `filter` with its flow invocation's job looked up (in memory once known). */
export async function resolveFilter(db: Kysely<Database>, filter: CardFilter): Promise<ResolvedFilter> {
  const id = filter.flowInvocationId;
  if (id === undefined) return { ...filter, invocationJob: null };
  let job = invocationJobs.get(id);
  if (job === undefined) {
    const row = await db.selectFrom('send_jobs').select(['template_id', 'cards_from']).where('flow_invocation_id', '=', id).executeTakeFirst();
    job = row ? { templateId: row.template_id, cardsFrom: Number(row.cards_from) } : null;
    if (invocationJobs.size >= KEEP_INVOCATIONS) invocationJobs.delete(invocationJobs.keys().next().value as string);
    invocationJobs.set(id, job);
  }
  return { ...filter, invocationJob: job };
}

/**
 * The cards of flow invocation `id`. A send job's are left out of the index on
 * flow_invocation_id (schema.ts, sent_by_job): they are found on the index of their template
 * from where the job's cards start, in the same (created, card_instance_id) order.
 */
function invocationIs(eb: ExpressionBuilder<Database, 'cards'>, id: string, job: InvocationJob | null): Expression<SqlBool> {
  if (!job) return eb.and([derivedIdIs(eb, 'flow_invocation_id', id, 'flowInvocation'), eb('sent_by_job', 'is', null)]);
  return eb.and([eb('card_template_id', '=', job.templateId), eb('created', '>=', job.cardsFrom), eb('flow_invocation_id', '=', id)]);
}

/** Just the filter's own attributes, from a query that may carry more (limit, multiple…). */
export function filterOf(query: CardFilterQuery): CardFilter {
  const filter: CardFilter = {};
  for (const name of CARD_ATTRIBUTES) {
    const value = query[name];
    if (value !== undefined) filter[name] = value;
  }
  if (query.status !== undefined) filter.status = query.status;
  return filter;
}

/** Conditions for `filter`, optionally restricted to `states`. */
export function filterConditions(
  eb: ExpressionBuilder<Database, 'cards'>,
  filter: ResolvedFilter,
  states?: readonly CardStatus[],
): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [];
  for (const attribute of CARD_ATTRIBUTES) {
    const value = filter[attribute];
    if (value === undefined) continue;
    if (attribute === 'lifecycleId' || attribute === 'flowInstanceId') conditions.push(derivedIdIs(eb, COLUMN_OF[attribute], value, DERIVED[attribute]));
    else if (attribute === 'flowInvocationId') conditions.push(invocationIs(eb, value, filter.invocationJob));
    else conditions.push(eb(COLUMN_OF[attribute], '=', value));
  }
  if (filter.status !== undefined) conditions.push(eb('status', '=', filter.status));
  if (states) conditions.push(eb('status', 'in', [...states]));
  return eb.and(conditions);
}

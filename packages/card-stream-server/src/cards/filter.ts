// The query attributes of the Cards API (CONTRACT §4) and how they narrow a query.
import type { ExpressionBuilder, Expression, SqlBool } from 'kysely';
import type { Database } from '../db/schema.js';
import type { CardStatus } from '../../../protocol/src/cards.js';

export const FILTER_ATTRIBUTES = {
  eventName: 'event_name',
  lifecycleId: 'lifecycle_id',
  cardTemplateId: 'card_template_id',
  cardInstanceId: 'card_instance_id',
  flowInstanceId: 'flow_instance_id',
  flowInvocationId: 'flow_invocation_id',
  userId: 'user_id',
} as const;

export type FilterAttribute = keyof typeof FILTER_ATTRIBUTES;
export type CardFilter = Partial<Record<FilterAttribute, string>> & { status?: CardStatus };

/** Conditions for `filter`, optionally restricted to `states`. */
export function filterConditions(
  eb: ExpressionBuilder<Database, 'cards'>,
  filter: CardFilter,
  states?: readonly CardStatus[],
): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [];
  for (const [attribute, column] of Object.entries(FILTER_ATTRIBUTES) as [FilterAttribute, (typeof FILTER_ATTRIBUTES)[FilterAttribute]][]) {
    const value = filter[attribute];
    if (value !== undefined) conditions.push(eb(column, '=', value));
  }
  if (filter.status !== undefined) conditions.push(eb('status', '=', filter.status));
  if (states) conditions.push(eb('status', 'in', [...states]));
  return eb.and(conditions);
}

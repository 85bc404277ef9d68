// The query builder of the Cards API (CONTRACT §4): how each query attribute of
// CardAttributesSchema (packages/protocol) narrows a query. A new attribute is one schema
// field there and one column here.
import type { ExpressionBuilder, Expression, SqlBool } from 'kysely';
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
function derivedIdIs(eb: ExpressionBuilder<Database, 'cards'>, column: 'lifecycle_id' | 'flow_instance_id', id: string, kind: DerivedIdKind): Expression<SqlBool> {
  const stored = eb.and([eb(column, '=', id), eb(column, '<>', '')]);
  const cardId = derivedId(id, kind);
  return cardId === undefined ? stored : eb.or([stored, eb.and([eb('card_instance_id', '=', cardId), eb(column, '=', '')])]);
}

/** Which cards a query, an action or a cancel job means: attributes, and a status. */
export type CardFilter = CardFilterQuery;

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
  filter: CardFilter,
  states?: readonly CardStatus[],
): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [];
  for (const attribute of CARD_ATTRIBUTES) {
    const value = filter[attribute];
    if (value === undefined) continue;
    if (attribute === 'lifecycleId' || attribute === 'flowInstanceId') conditions.push(derivedIdIs(eb, COLUMN_OF[attribute], value, DERIVED[attribute]));
    else conditions.push(eb(COLUMN_OF[attribute], '=', value));
  }
  if (filter.status !== undefined) conditions.push(eb('status', '=', filter.status));
  if (states) conditions.push(eb('status', 'in', [...states]));
  return eb.and(conditions);
}

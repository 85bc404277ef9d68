// Stream filters (CONTRACT §8a): conditions that all hold, `{ field, op, value }`, applied by
// the platform so a filtered stream's pages and total are its own. Fields: priority,
// cardTemplateId, cardTemplateName, created (an ISO time) and variables.<name> (a value the
// send filled in, as text).
import { sql, type ExpressionBuilder, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from '../store/schema.js';
import type { StoreKind } from '../store/database.js';
import { STREAM_FILTER_FIELDS, STREAM_FILTER_OPS, type StreamFilterCondition } from '../../../protocol/src/sdk.js';
import { InvalidInput } from '../errors.js';
import { parseInstant } from '../time.js';

const COLUMNS = { priority: 'priority', cardTemplateId: 'card_template_id', created: 'created' } as const;

/** `value` of the card's content (`cc`). */
const ofContent = (value: RawBuilder<unknown>) => sql`(select ${value} from card_contents cc where cc.key = cards.content_key)`;
const MAX_CONDITIONS = 20;

type Scalar = string | number;

/** Parses and checks the `filter` query text; each refusal names the condition. */
export function parseStreamFilter(text: string | undefined): StreamFilterCondition[] | undefined {
  if (text === undefined || text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidInput('invalid_filter', 'filter must be a JSON list of { field, op, value } conditions.', 'filter');
  }
  if (!Array.isArray(parsed) || parsed.length > MAX_CONDITIONS) throw new InvalidInput('invalid_filter', `filter must be a list of at most ${MAX_CONDITIONS} conditions.`, 'filter');
  return parsed.map((c: unknown, i) => checkCondition(c, `filter[${i}]`));
}

function checkCondition(c: unknown, at: string): StreamFilterCondition {
  const refuse = (why: string): never => {
    throw new InvalidInput('invalid_filter', `${at}: ${why}.`, at);
  };
  if (!c || typeof c !== 'object') return refuse('a condition is { field, op, value }');
  const { field, op, value } = c as Record<string, unknown>;
  if (typeof field !== 'string' || !(STREAM_FILTER_FIELDS.includes(field as never) || /^variables\.[\w.-]{1,64}$/.test(field))) {
    refuse(`field must be one of ${STREAM_FILTER_FIELDS.join(', ')} or variables.<name>`);
  }
  if (!STREAM_FILTER_OPS.includes(op as never)) refuse(`op must be one of ${STREAM_FILTER_OPS.join(', ')}`);
  const scalar = (v: unknown) => (field === 'priority' ? Number.isInteger(v) : field === 'created' ? typeof v === 'string' && parseInstant(v) !== undefined : typeof v === 'string');
  const kind = field === 'priority' ? 'a whole number' : field === 'created' ? 'an ISO 8601 time' : 'text';
  if (op === 'in' || op === 'notIn') {
    if (!Array.isArray(value) || value.length === 0 || value.length > 100 || !value.every(scalar)) refuse(`"${op}" takes a list of 1 to 100 values, each ${kind}`);
  } else if (op === 'between') {
    if (!Array.isArray(value) || value.length !== 2 || !value.every(scalar)) refuse(`"between" takes [low, high], each ${kind}`);
  } else if (!scalar(value)) refuse(`value must be ${kind}`);
  return { field, op, value } as StreamFilterCondition;
}

/** The filter as a condition on `cards` rows. */
export function streamFilterSql(conditions: readonly StreamFilterCondition[], kind: StoreKind) {
  return (eb: ExpressionBuilder<Database, 'cards'>): Expression<SqlBool> =>
    eb.and(
      conditions.map(({ field, op, value }) => {
        // A send's variables and its template's name are in the card's content (cards/contents.ts).
        const column: Expression<unknown> = field.startsWith('variables.')
          ? kind === 'postgres'
            ? ofContent(sql`cc.payload::jsonb -> 'detail' ->> ${field.slice(10)}`)
            : ofContent(sql`json_extract(cc.payload, ${`$.detail."${field.slice(10)}"`})`)
          : field === 'cardTemplateName'
            ? ofContent(sql`cc.card_template_name`)
            : eb.ref(COLUMNS[field as keyof typeof COLUMNS]);
        const stored = (v: unknown): Scalar => (field === 'created' ? (parseInstant(v as string) as number) : (v as Scalar));
        const list = (value as unknown[]).map?.(stored) ?? [];
        switch (op) {
          case 'in':
            return eb(column, 'in', list);
          case 'notIn':
            return eb.or([eb(column, 'is', null), eb(column, 'not in', list)]);
          case 'between':
            return eb.and([eb(column, '>=', list[0]), eb(column, '<=', list[1])]);
          case 'ne':
            return eb.or([eb(column, 'is', null), eb(column, '<>', stored(value))]);
          default:
            return eb(column, { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' }[op] as '=', stored(value));
        }
      }),
    );
}

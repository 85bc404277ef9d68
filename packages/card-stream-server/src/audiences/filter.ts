// Audience filters (CONTRACT §9): checked, turned into one SQL set of user ids over the
// indexed attribute and tag rows, and evaluated in memory against one profile (to tell when
// a profile change moves a user into or out of a segment). Both readings share one meaning:
// - `{ tag }`: the profile has the tag.
// - eq / in: the attribute has the value (a value's type is part of it: "1" is not 1).
// - gt, gte, lt, lte: numbers compare as numbers, strings as text (ISO dates compare right).
// - contains: a text attribute contains the text.
// - ne, notIn, notExists: the opposite of eq, in, exists, so a profile without the attribute
//   matches them.
// - `all`: every condition holds; `any`: at least one does; both given: both hold; neither:
//   every profile.
import { sql, type RawBuilder } from 'kysely';
import type { StoreKind } from '../store/database.js';
import type { AttributeValue, AudienceFilter, Condition } from '../../../protocol/src/audiences.js';
import { InvalidInput } from '../errors.js';

/** A profile as filters see it. */
export interface ProfileFacts {
  attributes: Readonly<Record<string, AttributeValue>>;
  tags: readonly string[];
}

type AttributeCondition = Extract<Condition, { attribute: string }>;
const isTag = (c: Condition): c is Extract<Condition, { tag: string }> => 'tag' in c;

const SCALAR = (v: unknown): v is AttributeValue => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/** Refuses a condition whose value does not fit its op, naming it (`filter.all[1]`). */
export function checkFilter(filter: AudienceFilter, where = 'filter'): void {
  for (const part of ['all', 'any'] as const) {
    filter[part]?.forEach((condition, i) => {
      if (isTag(condition)) return;
      const at = `${where}.${part}[${i}]`;
      const { op, value } = condition;
      const refuse = (why: string) => {
        throw new InvalidInput('invalid_filter', `${at} (${condition.attribute} ${op}): ${why}.`, at);
      };
      if (op === 'exists' || op === 'notExists') {
        if (value !== undefined) refuse(`"${op}" takes no value`);
      } else if (op === 'in' || op === 'notIn') {
        if (!Array.isArray(value) || value.length === 0 || !value.every(SCALAR)) refuse(`"${op}" takes a non-empty list of strings, numbers or booleans`);
      } else if (op === 'contains') {
        if (typeof value !== 'string' || value === '') refuse('"contains" takes a non-empty text');
      } else if (op === 'gt' || op === 'gte' || op === 'lt' || op === 'lte') {
        if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) refuse(`"${op}" takes a number or a text`);
      } else if (!SCALAR(value)) {
        refuse(`"${op}" takes one string, number or boolean`);
      }
    });
  }
}

// ---- SQL: each condition is a set of user ids; `all` intersects them, `any` unites them ----

const ALL_PROFILES = sql`select user_id from user_profiles`;

/** The column and bound value an attribute value is compared with. */
function stored(value: AttributeValue): { kind: 's' | 'n' | 'b'; column: RawBuilder<unknown>; value: string | number } {
  if (typeof value === 'string') return { kind: 's', column: sql.ref('text_value'), value };
  if (typeof value === 'boolean') return { kind: 'b', column: sql.ref('num_value'), value: value ? 1 : 0 };
  return { kind: 'n', column: sql.ref('num_value'), value };
}

const OPERATOR = { gt: sql`>`, gte: sql`>=`, lt: sql`<`, lte: sql`<=` } as const;

/** How a store compares and searches text the way JavaScript does (code unit order). */
interface TextRules {
  column: RawBuilder<unknown>;
  contains: (needle: string) => RawBuilder<unknown>;
}
const TEXT_RULES: Record<StoreKind, TextRules> = {
  sqlite: { column: sql`text_value`, contains: (needle) => sql`instr(text_value, ${needle}) > 0` },
  postgres: { column: sql`text_value collate "C"`, contains: (needle) => sql`strpos(text_value, ${needle}) > 0` },
};

function attributeSet(c: AttributeCondition, text: TextRules): RawBuilder<unknown> {
  const rows = sql`select user_id from user_attributes where name = ${c.attribute}`;
  const equal = (value: AttributeValue) => {
    const s = stored(value);
    return sql`(kind = ${s.kind} and ${s.column} = ${s.value})`;
  };
  switch (c.op) {
    case 'exists':
      return rows;
    case 'notExists':
      return sql`${ALL_PROFILES} except ${rows}`;
    case 'eq':
      return sql`${rows} and ${equal(c.value as AttributeValue)}`;
    case 'ne':
      return sql`${ALL_PROFILES} except ${rows} and ${equal(c.value as AttributeValue)}`;
    case 'in':
      return sql`${rows} and (${sql.join((c.value as AttributeValue[]).map(equal), sql` or `)})`;
    case 'notIn':
      return sql`${ALL_PROFILES} except ${rows} and (${sql.join((c.value as AttributeValue[]).map(equal), sql` or `)})`;
    case 'contains':
      return sql`${rows} and kind = 's' and ${text.contains(c.value as string)}`;
    default: {
      const s = stored(c.value as AttributeValue);
      return sql`${rows} and kind = ${s.kind} and ${s.kind === 's' ? text.column : s.column} ${OPERATOR[c.op]} ${s.value}`;
    }
  }
}

/** One select of the user ids `filter` matches, on a store of `kind`. */
export function memberIds(filter: AudienceFilter, kind: StoreKind): RawBuilder<unknown> {
  const text = TEXT_RULES[kind];
  const conditionSet = (c: Condition) => (isTag(c) ? sql`select user_id from user_tags where tag = ${c.tag}` : attributeSet(c, text));
  const parts: RawBuilder<unknown>[] = [];
  // Each operand in a subquery of its own: compound selects then nest as written.
  const operand = (set: RawBuilder<unknown>) => sql`select user_id from (${set}) as c`;
  if (filter.all?.length) parts.push(sql.join(filter.all.map((c) => operand(conditionSet(c))), sql` intersect `));
  if (filter.any?.length) parts.push(sql.join(filter.any.map((c) => operand(conditionSet(c))), sql` union `));
  if (parts.length === 0) return ALL_PROFILES;
  if (parts.length === 1) return parts[0] as RawBuilder<unknown>;
  return sql`select user_id from (${parts[0]}) as a intersect select user_id from (${parts[1]}) as b`;
}

// ---- SQL: whether one profile row matches, each condition a point lookup ----
// Walking profiles in user id order and asking this of each finds a page of members without
// building the whole set first: a page of a million-member segment costs a page, and a
// send's snapshot can go a range of profiles at a time.

function attributeHolds(c: AttributeCondition, userId: RawBuilder<unknown>, text: TextRules): RawBuilder<unknown> {
  // `limit 1` keeps PostgreSQL from turning each lookup into a join over every profile
  // holding the attribute (a million rows to hash for a page of 100).
  const row = (where: RawBuilder<unknown>) => sql`exists (select 1 from user_attributes where name = ${c.attribute} and user_id = ${userId} and ${where} limit 1)`;
  const equal = (value: AttributeValue) => {
    const s = stored(value);
    return sql`(kind = ${s.kind} and ${s.column} = ${s.value})`;
  };
  switch (c.op) {
    case 'exists':
      return row(sql`true`);
    case 'notExists':
      return sql`not ${row(sql`true`)}`;
    case 'eq':
      return row(equal(c.value as AttributeValue));
    case 'ne':
      return sql`not ${row(equal(c.value as AttributeValue))}`;
    case 'in':
      return row(sql`(${sql.join((c.value as AttributeValue[]).map(equal), sql` or `)})`);
    case 'notIn':
      return sql`not ${row(sql`(${sql.join((c.value as AttributeValue[]).map(equal), sql` or `)})`)}`;
    case 'contains':
      return row(sql`kind = 's' and ${text.contains(c.value as string)}`);
    default: {
      const s = stored(c.value as AttributeValue);
      return row(sql`kind = ${s.kind} and ${s.kind === 's' ? text.column : s.column} ${OPERATOR[c.op]} ${s.value}`);
    }
  }
}

/** A condition on the profile whose user id is `userId` (a column), true when `filter` matches it. */
export function profileMatches(filter: AudienceFilter, kind: StoreKind, userId: RawBuilder<unknown>): RawBuilder<unknown> {
  const text = TEXT_RULES[kind];
  const holdsSql = (c: Condition) => (isTag(c) ? sql`exists (select 1 from user_tags where tag = ${c.tag} and user_id = ${userId} limit 1)` : attributeHolds(c, userId, text));
  const parts: RawBuilder<unknown>[] = [];
  if (filter.all?.length) parts.push(sql`(${sql.join(filter.all.map(holdsSql), sql` and `)})`);
  if (filter.any?.length) parts.push(sql`(${sql.join(filter.any.map(holdsSql), sql` or `)})`);
  return parts.length === 0 ? sql`true` : sql.join(parts, sql` and `);
}

// ---- in memory: the same meaning, for one profile ----

const sameValue = (a: AttributeValue | undefined, b: AttributeValue) => a !== undefined && typeof a === typeof b && a === b;

function holds(c: Condition, profile: ProfileFacts): boolean {
  if (isTag(c)) return profile.tags.includes(c.tag);
  const has = Object.hasOwn(profile.attributes, c.attribute);
  const value = has ? profile.attributes[c.attribute] : undefined;
  switch (c.op) {
    case 'exists':
      return has;
    case 'notExists':
      return !has;
    case 'eq':
      return sameValue(value, c.value as AttributeValue);
    case 'ne':
      return !sameValue(value, c.value as AttributeValue);
    case 'in':
      return (c.value as AttributeValue[]).some((v) => sameValue(value, v));
    case 'notIn':
      return !(c.value as AttributeValue[]).some((v) => sameValue(value, v));
    case 'contains':
      return typeof value === 'string' && value.includes(c.value as string);
    default: {
      const limit = c.value as AttributeValue;
      if (value === undefined || typeof value !== typeof limit || typeof value === 'boolean') return false;
      const [a, b] = [value, limit] as [string | number, string | number];
      return c.op === 'gt' ? a > b : c.op === 'gte' ? a >= b : c.op === 'lt' ? a < b : a <= b;
    }
  }
}

/** Whether `profile` matches `filter`. */
export function matches(filter: AudienceFilter, profile: ProfileFacts): boolean {
  const all = filter.all ?? [];
  const any = filter.any ?? [];
  return all.every((c) => holds(c, profile)) && (any.length === 0 || any.some((c) => holds(c, profile)));
}

// Insights (seed 003, "Insights"): per card template, how many cards were sent, seen and
// acted on, and the rates against sent. Every count is of distinct cards, so an embargoed
// card (card-embargoed, then card-published) is sent once and a card displayed ten
// times is displayed once. Events are counted by their own timestamp within [from, to).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { TemplateInsights } from '../../../protocol/src/analytics.js';
import { PER_CARD_MARK } from './job-page-events.js';
import { SEND_SPAN } from './event-spans.js';

export interface InsightsFilter {
  cardTemplateId?: string;
  from?: number;
  to?: number;
}

/** Which events each count is made of. */
const COUNTED = {
  sent: ['card-published', 'card-embargoed'],
  displayed: ['card-displayed'],
  completed: ['card-completed'],
  dismissed: ['card-dismissed'],
  snoozed: ['card-snoozed'],
  votedUp: ['card-voted-up'],
  votedDown: ['card-voted-down'],
} as const;
type Count = keyof typeof COUNTED;
const COUNTS = Object.keys(COUNTED) as Count[];

const rate = (count: number, sent: number) => (sent === 0 ? 0 : count / sent);

export class InsightsReader {
  constructor(private readonly db: Kysely<Database>) {}

  async byTemplate(filter: InsightsFilter): Promise<TemplateInsights[]> {
    let query = this.db
      .selectFrom('analytics_events')
      .select('card_template_id')
      .select(
        COUNTS.map((count) => {
          const names = sql.join(COUNTED[count].map((name) => sql.lit(name)));
          return sql<number | string>`count(distinct case when analytics_event in (${names}) then card_instance_id end)`.as(count);
        }),
      )
      // A send job page's events are one row with no card of its own (analytics/job-page-events.ts):
      // `span` events, three a card (PER_CARD_MARK), or one a card on rows stored before.
      .select(sql<number | string>`sum(case when job_page is null then 0 when job_page like ${`%${PER_CARD_MARK}%`} then span / ${sql.lit(SEND_SPAN)} else span end)`.as('pageSent'))
      .where('card_template_id', 'is not', null)
      .where('analytics_event', 'in', COUNTS.flatMap((c) => [...COUNTED[c]]))
      .groupBy('card_template_id')
      .orderBy('card_template_id');
    if (filter.cardTemplateId !== undefined) query = query.where('card_template_id', '=', filter.cardTemplateId);
    if (filter.from !== undefined) query = query.where('timestamp', '>=', filter.from);
    if (filter.to !== undefined) query = query.where('timestamp', '<', filter.to);
    const rows = await query.execute();
    const found = rows.map((row) => insightsOf(row.card_template_id as string, row));
    if (filter.cardTemplateId !== undefined && found.length === 0) return [insightsOf(filter.cardTemplateId, {})];
    return found;
  }
}

function insightsOf(cardTemplateId: string, row: Partial<Record<Count | 'pageSent', number | string | null>>): TemplateInsights {
  const n = (count: Count) => Number(row[count] ?? 0);
  const sent = n('sent') + Number(row.pageSent ?? 0);
  return {
    cardTemplateId,
    sent,
    displayed: n('displayed'),
    completed: n('completed'),
    dismissed: n('dismissed'),
    snoozed: n('snoozed'),
    votedUp: n('votedUp'),
    votedDown: n('votedDown'),
    displayRate: rate(n('displayed'), sent),
    completionRate: rate(n('completed'), sent),
    dismissRate: rate(n('dismissed'), sent),
  };
}

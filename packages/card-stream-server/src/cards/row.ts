// Between stored card rows and the card instances the API returns (CONTRACT §4).
import type { Card, CardStatus, EventSource } from '../../../protocol/src/cards.js';
import type { CardsTable } from '../store/schema.js';
import { iso, isoOrUndefined } from '../time.js';

/**
 * A card as the platform handles it: its stored row with what it shares with the rest of
 * its flow (cards/contents.ts) filled in, and its whole payload.
 */
export type CardRow = CardsTable & {
  card_template_name: string;
  definition: string;
  runtime_variables: string;
  payload: string;
};

/**
 * A card instance (CardSchema) as JSON text, its definition and payload spliced in as stored (JSON text
 * already) rather than parsed and made into text again by the response schema's serializer,
 * which checks every block against the union of block types (end-user/sdk-card.ts does the
 * same for the SDK).
 */
export function cardJson(row: CardRow): string {
  return `${JSON.stringify(cardFields(row)).slice(0, -1)},"definition":${row.definition},"payload":${row.payload}}`;
}

/** A card but its definition and payload. */
function cardFields(row: CardRow): Omit<Card, 'definition' | 'payload'> {
  const card: Omit<Card, 'definition' | 'payload'> = {
    eventName: row.event_name,
    eventSource: row.event_source as EventSource,
    cardTemplateId: row.card_template_id,
    cardTemplateName: row.card_template_name,
    cardTemplateVersion: row.card_template_version,
    cardInstanceId: row.card_instance_id,
    lifecycleId: row.lifecycle_id,
    flowInstanceId: row.flow_instance_id,
    flowInvocationId: row.flow_invocation_id,
    streamId: row.stream_id,
    priority: row.priority,
    status: row.status as CardStatus,
    userId: row.user_id,
    created: iso(row.created),
    updated: iso(row.updated),
  };
  const embargoUntil = isoOrUndefined(row.embargo_until);
  const expiresAt = isoOrUndefined(row.expires_at);
  const snoozedUntil = isoOrUndefined(row.snoozed_until);
  if (embargoUntil) card.embargoUntil = embargoUntil;
  if (expiresAt) card.expiresAt = expiresAt;
  if (snoozedUntil) card.snoozedUntil = snoozedUntil;
  if (row.completion) card.completion = JSON.parse(row.completion) as Card['completion'] & object;
  return card;
}

/** When the scheduler must next look at a card in `status`, given its times. */
export function nextDue(
  status: CardStatus,
  times: { embargo_until: number | null; snoozed_until: number | null; expires_at: number | null },
): number | null {
  const candidates: (number | null)[] = [times.expires_at];
  if (status === 'embargoed') candidates.push(times.embargo_until);
  else if (status === 'snoozed') candidates.push(times.snoozed_until);
  else if (status !== 'active') return null;
  const due = candidates.filter((t): t is number => t !== null);
  return due.length ? Math.min(...due) : null;
}

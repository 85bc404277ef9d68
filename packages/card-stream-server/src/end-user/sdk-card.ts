// Card rows as the SDK receives them (docs/protocol.md, SdkCard).
import type { CardStatus, EventSource } from '../../../protocol/src/cards.js';
import type { SdkCard } from '../../../protocol/src/sdk.js';
import type { CardRow } from '../cards/row.js';
import { iso } from '../time.js';

/**
 * The card as the SDK receives it (an SdkCard) as JSON text, for a socket change and the
 * feed; `status` overrides the row's (a change replayed from the log carries the status it
 * had then), and `seen` marks it in a feed. Its definition and runtime variables are
 * spliced in as stored (JSON text already, checked when their template was saved) rather
 * than parsed and made into text again: a socket change is made as a card is sent, and
 * that round trip was a good part of it.
 */
export function sdkCardJson(row: CardRow, status: string = row.status, seen = false): string {
  return `${JSON.stringify(cardFields(row, status)).slice(0, -1)},"definition":${row.definition},"runtimeVariables":${row.runtime_variables}${seen ? ',"seen":true' : ''}}`;
}

/** An SdkCard but its definition and runtime variables. */
function cardFields(row: CardRow, status: string): Omit<SdkCard, 'definition' | 'runtimeVariables'> {
  const card: Omit<SdkCard, 'definition' | 'runtimeVariables'> = {
    cardInstanceId: row.card_instance_id,
    lifecycleId: row.lifecycle_id,
    cardTemplateId: row.card_template_id,
    cardTemplateName: row.card_template_name,
    cardTemplateVersion: row.card_template_version,
    eventSource: row.event_source as EventSource,
    streamId: row.stream_id,
    priority: row.priority,
    status: status as CardStatus,
    created: iso(row.created),
    updated: iso(row.updated),
    activeSince: row.active_since === null ? null : iso(row.active_since),
  };
  if (row.expires_at !== null) card.expiresAt = iso(row.expires_at);
  return card;
}

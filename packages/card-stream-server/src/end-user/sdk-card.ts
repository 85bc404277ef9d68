// Card rows as the SDK receives them (docs/protocol.md, SdkCard).
import type { CardStatus, EventSource } from '../../../protocol/src/cards.js';
import type { CardDefinition } from '../../../protocol/src/definition.js';
import type { SdkCard } from '../../../protocol/src/sdk.js';
import type { CardRow } from '../cards/row.js';
import { iso } from '../time.js';

/** `status` overrides the row's: a change replayed from the log carries the status it had then. */
export function sdkCard(row: CardRow, status: string = row.status): SdkCard {
  const card: SdkCard = {
    cardInstanceId: row.card_instance_id,
    lifecycleId: row.lifecycle_id,
    cardTemplateId: row.card_template_id,
    cardTemplateName: row.card_template_name,
    cardTemplateVersion: row.card_template_version,
    eventSource: row.event_source as EventSource,
    streamId: row.stream_id,
    priority: row.priority,
    status: status as CardStatus,
    definition: JSON.parse(row.definition) as CardDefinition,
    runtimeVariables: JSON.parse(row.runtime_variables) as Record<string, string>,
    created: iso(row.created),
    updated: iso(row.updated),
    activeSince: row.active_since === null ? null : iso(row.active_since),
  };
  if (row.expires_at !== null) card.expiresAt = iso(row.expires_at);
  return card;
}

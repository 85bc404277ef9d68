// Row types of the store. Times are milliseconds since the epoch; JSON is kept as text so
// SQLite and PostgreSQL store and return exactly the same thing.
import type { Generated } from 'kysely';

export interface SettingsTable {
  key: string;
  value: string;
}

export interface CredentialsTable {
  client_id: string;
  secret_hash: string;
  roles: string;
  created: number;
}

export interface CardTemplatesTable {
  id: string;
  name: string;
  stream_id: string;
  latest_version: number;
  published_version: number | null;
  created: number;
  updated: number;
}

export interface CardTemplateVersionsTable {
  template_id: string;
  version: number;
  name: string;
  stream_id: string;
  definition: string;
  runtime_variables: string;
  card_options: string;
  created: number;
}

/**
 * A card as stored. What every card of one flow shares (the definition, runtime variables,
 * template name and the payload but for its user) is a card_contents row, which the card
 * names by `content_key`: a million-member send stores it once (docs/architecture.md,
 * "Storage"). cards/row.ts has the card as the rest of the platform sees it.
 */
export interface CardsTable {
  /** A UUID; stored as uuid on PostgreSQL, as is card_template_id (store/uuid-columns.ts). */
  card_instance_id: string;
  /** '' when made from card_instance_id (ids.ts, derivedId), as a send makes it. */
  lifecycle_id: string;
  /** '' when made from card_instance_id, as lifecycle_id. */
  flow_instance_id: string;
  /** '' when made from card_instance_id (the first card of a send: ids.ts), as lifecycle_id. */
  flow_invocation_id: string;
  card_template_id: string;
  card_template_version: number;
  event_name: string;
  event_source: string;
  stream_id: string;
  priority: number;
  /** The card_contents row holding the rest of the card. */
  content_key: string;
  /** The card's payload when it is not its content's payload addressed to its user (cards stored before contents were shared). */
  own_payload: string | null;
  status: string;
  user_id: string;
  created: number;
  updated: number;
  /** When the card last became active: the stream's second sort key (CONTRACT §6). */
  active_since: number | null;
  embargo_until: number | null;
  expires_at: number | null;
  snoozed_until: number | null;
  completion: string | null;
  /** The next time the lifecycle scheduler must look at this card; null once closed. */
  next_due: number | null;
  /**
   * 1 on a card a send job made (audiences/send-jobs.ts), else null. Such a card is found by
   * its flow invocation through its job (cards/filter.ts), so the index on flow_invocation_id
   * holds only the others (and of those, only the ids stored whole): a million-member send
   * adds no entry to it.
   */
  sent_by_job: number | null;
  /**
   * The number of the change that made the card in its user's sequence: that change's place
   * in the log, which holds no row for it (cards/change-log.ts). Null on cards made before,
   * whose change is a row of card_changes.
   */
  change_seq: number | null;
}

/** What the cards of one flow share, stored once; never changed once written (its key is a hash of it). */
export interface CardContentsTable {
  key: string;
  card_template_name: string;
  definition: string;
  /** JSON `{ name: defaultValue }` of the template's runtime variables. */
  runtime_variables: string;
  /** JSON `{ detail, cardOptions, metadata }`: the payload but its target, which is each card's user. */
  payload: string;
}

/** What many events share (all but their ids and times), stored once; see analytics/event-contexts.ts. */
export interface EventContextsTable {
  key: string;
  /** JSON `{ parts: string[], holes: string[] }`: the event's JSON text around its own values. */
  template: string;
}

export interface AnalyticsEventsTable {
  seq: Generated<number>;
  id: string;
  analytics_event: string;
  end_user_id: string;
  timestamp: number;
  card_instance_id: string | null;
  /** '' when made from card_instance_id (ids.ts, derivedId). */
  lifecycle_id: string | null;
  /** The template of the card the event is about (insights count by it); null otherwise. */
  card_template_id: string | null;
  /** The event's JSON; with `context_key`, a JSON array of the values the shared template leaves open. */
  body: string;
  /** The event_contexts row with the rest of the event, or null when `body` is the whole event. */
  context_key: string | null;
  /** How many events the row stands for, ending at its seq: 3, a send's events of its card (analytics/event-spans.ts), or a job page's (job_page); else null. */
  span: number | null;
  /** The cards a row of a send job's page stands for the card-published events of, as JSON (analytics/job-page-events.ts); else null. */
  job_page: string | null;
}

export interface WebhooksTable {
  id: string;
  url: string;
  /** JSON array of analytics event names, or ["*"]. */
  events: string;
  /** Kept as given: it signs every delivery. */
  secret: string;
  created: number;
  /** The seq of the last event delivered (or given up on): the delivery cursor. */
  last_seq: number;
  /** While a batch is being retried, its last seq, so each retry sends the same events. */
  batch_end_seq: number | null;
  failing_since: number | null;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  /** The lease: the server named in lock_owner delivers until locked_until. */
  locked_until: number;
  lock_owner: string | null;
}

/** A batch given up on after retrying for the retry window. */
export interface WebhookFailedBatchesTable {
  webhook_id: string;
  first_seq: number;
  last_seq: number;
  event_count: number;
  first_failure: number;
  failed_at: number;
  last_error: string;
}

export interface UserSequencesTable {
  user_id: string;
  last_seq: number;
}

export interface CardChangesTable {
  user_id: string;
  seq: number;
  card_instance_id: string;
  stream_id: string;
  status: string;
  at: number;
}

/** SDK actions by their client-generated id: a replay finds its row and changes nothing. */
export interface SdkActionsTable {
  id: string;
  user_id: string;
  card_instance_id: string;
  type: string;
  body: string;
  result: string;
  created: number;
}

export interface CancelJobsTable {
  id: string;
  status: string;
  criteria: string;
  matched: number;
  cancelled: number;
  requested_by: string;
  created: number;
  finished: number | null;
  error: string | null;
  cursor_created: number | null;
  cursor_id: string | null;
  locked_by: string | null;
  locked_until: number | null;
}

export interface ChannelsTable {
  id: string;
  name: string;
  created: number;
  version: number;
}

export interface ChannelCardsTable {
  id: string;
  channel_id: string;
  status: string;
  /** JSON array of blocks, each with its id. */
  blocks: string;
  created: number;
  updated: number;
}

export interface ChannelDailyCountsTable {
  channel_id: string;
  /** YYYY-MM-DD, UTC. */
  day: string;
  count: number;
}

export interface ChannelInteractionsTable {
  id: string;
  channel_id: string;
  /** Null once the card is deleted: the interaction is kept. */
  card_id: string | null;
  block_id: string;
  button_id: string;
  created: number;
}

/** A request made with an Idempotency-Key, and the answer it got (CONTRACT §10). */
export interface IdempotencyKeysTable {
  /** Who asked: the credential's client id. */
  scope: string;
  key: string;
  /** SHA-256 of the method, path and body: the same key with another request is refused. */
  request_hash: string;
  status: number;
  response: string;
  created: number;
}

export interface UserProfilesTable {
  user_id: string;
  /** JSON: { name: string | number | boolean } */
  attributes: string;
  /** JSON: string[] */
  tags: string;
  created: number;
  updated: number;
}

export interface UserTagsTable {
  tag: string;
  user_id: string;
}

export interface UserAttributesTable {
  name: string;
  user_id: string;
  kind: 's' | 'n' | 'b';
  text_value: string | null;
  num_value: number | null;
}

export interface SegmentsTable {
  id: string;
  name: string;
  /** JSON: AudienceFilter */
  filter: string;
  created: number;
  updated: number;
}

export interface SendJobsTable {
  id: string;
  flow_invocation_id: string;
  template_id: string;
  template_version: number;
  event_source: string;
  /** JSON: the request's flows */
  flows: string;
  status: string;
  matched: number | null;
  sent: number;
  requested_by: string;
  created: number;
  /** No card of the job was made before this time (its pages make them no earlier): where its cards start, by `created`. */
  cards_from: number;
  finished: number | null;
  error: string | null;
  locked_by: string | null;
  locked_until: number | null;
}

/** The members of a job not sent their card yet: a member's row is deleted in the transaction that makes their card. */
export interface SendJobMembersTable {
  job_id: string;
  user_id: string;
  flow: number;
}

export interface Database {
  settings: SettingsTable;
  user_profiles: UserProfilesTable;
  user_tags: UserTagsTable;
  user_attributes: UserAttributesTable;
  segments: SegmentsTable;
  send_jobs: SendJobsTable;
  send_job_members: SendJobMembersTable;
  idempotency_keys: IdempotencyKeysTable;
  credentials: CredentialsTable;
  card_templates: CardTemplatesTable;
  card_template_versions: CardTemplateVersionsTable;
  cards: CardsTable;
  card_contents: CardContentsTable;
  event_contexts: EventContextsTable;
  analytics_events: AnalyticsEventsTable;
  user_sequences: UserSequencesTable;
  card_changes: CardChangesTable;
  sdk_actions: SdkActionsTable;
  webhooks: WebhooksTable;
  webhook_failed_batches: WebhookFailedBatchesTable;
  cancel_jobs: CancelJobsTable;
  channels: ChannelsTable;
  channel_cards: ChannelCardsTable;
  channel_daily_counts: ChannelDailyCountsTable;
  channel_interactions: ChannelInteractionsTable;
}

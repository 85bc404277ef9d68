// The elements as framework templates type them, declared once: React 19 JSX (react.ts),
// Vue 3 templates (vue.ts) and the DOM's own event map (card-stream.ts) all use these.
import type { AnalyticsEvent } from './client/analytics.js';
import type { CardStreamElement, CsActionDetail, CsCountDetail, CsStateDetail } from './card-stream/card-stream.js';
import type { CardCountElement } from './card-count/card-count.js';

/**
 * The properties a template may set on `<card-stream>` (camelCase, typed). Vue checks its
 * templates' attributes against these (`api-base` is `apiBase`) and sets them as
 * properties, as React 19 does.
 */
export type CardStreamProperties = Partial<
  Pick<
    CardStreamElement,
    | 'stream'
    | 'channel'
    | 'mode'
    | 'transport'
    | 'theme'
    | 'locale'
    | 'filter'
    | 'apiBase'
    | 'sessionUrl'
    | 'pollInterval'
    | 'headingLevel'
    | 'pageSize'
    | 'sessionDelegate'
    | 'runtimeVariables'
    | 'strings'
  >
>;

/** `<card-stream>` in JSX: its properties, and its attributes as markup writes them (kebab-case; numbers as text too). */
export type CardStreamAttributes = CardStreamProperties & {
  'api-base'?: string;
  'session-url'?: string;
  'poll-interval'?: number | string;
  'heading-level'?: number | string;
  'page-size'?: number | string;
};

/** The properties a template may set on `<card-count>`. */
export type CardCountProperties = Partial<Pick<CardCountElement, 'stream' | 'unseen' | 'apiBase' | 'sessionUrl' | 'sessionDelegate'>>;

/** `<card-count>` in JSX. */
export type CardCountAttributes = CardCountProperties & { 'api-base'?: string; 'session-url'?: string };

/** The events `<card-stream>` fires (they bubble and cross shadow roots), with their details. */
export interface CardStreamEvents {
  'cs-event': CustomEvent<AnalyticsEvent>;
  'cs-count': CustomEvent<CsCountDetail>;
  'cs-action': CustomEvent<CsActionDetail>;
  'cs-state': CustomEvent<CsStateDetail>;
}


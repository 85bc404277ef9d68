// `card-stream/react` (CONTRACT §0): the elements as React components through @lit/react,
// for React 18 (which would otherwise set every prop as a string attribute) and React 19.
// Props are the elements' properties, typed (`sessionDelegate`, `runtimeVariables`,
// `strings`, `mode`, …); events are `onCsEvent`, `onCsCount`, `onCsAction`, `onCsState`.
// An inline arrow as `sessionDelegate` is fine: the page keeps one client per platform and
// user, whatever the function's identity. Importing this module registers the elements
// (where there is a registry: nothing happens during server-side rendering).
import * as React from 'react';
import { createComponent, type EventName } from '@lit/react';
import { CardCountElement, CardStreamElement, defineElements, type CsActionDetail, type CsCountDetail, type CsStateDetail } from './index.js';
import type { AnalyticsEvent } from './client/analytics.js';
import type { CardCountAttributes, CardStreamAttributes } from './template-types.js';

defineElements();

export const CardStream = createComponent({
  tagName: 'card-stream',
  elementClass: CardStreamElement,
  react: React,
  events: {
    onCsEvent: 'cs-event' as EventName<CustomEvent<AnalyticsEvent>>,
    onCsCount: 'cs-count' as EventName<CustomEvent<CsCountDetail>>,
    onCsAction: 'cs-action' as EventName<CustomEvent<CsActionDetail>>,
    onCsState: 'cs-state' as EventName<CustomEvent<CsStateDetail>>,
  },
  displayName: 'CardStream',
});

export const CardCount = createComponent({
  tagName: 'card-count',
  elementClass: CardCountElement,
  react: React,
  displayName: 'CardCount',
});

export { configure, type CardStreamOptions, type SessionDelegate } from './config.js';

/** What the elements take in JSX: their attributes, and their properties (React 19 sets those as properties). */
type Jsx<E extends HTMLElement, Attributes> = React.DetailedHTMLProps<React.HTMLAttributes<E>, E> & Attributes;

// `<card-stream>` and `<card-count>` written directly in React 19 JSX type-check too.
declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      'card-stream': Jsx<CardStreamElement, CardStreamAttributes>;
      'card-count': Jsx<CardCountElement, CardCountAttributes>;
    }
  }
}
export type { CsActionDetail, CsCountDetail, CsStateDetail };

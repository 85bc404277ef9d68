// Wire shapes of card instances (CONTRACT §4), shared by the platform and the SDK.
import type { CardDefinition, CardOptions } from './definition.js';

export type { CardOptions };

export const OPEN_STATES = ['active', 'embargoed', 'snoozed'] as const;
export const CLOSED_STATES = ['completed', 'dismissed', 'cancelled', 'expired'] as const;
export const CARD_STATES = [...OPEN_STATES, ...CLOSED_STATES] as const;

export type OpenState = (typeof OPEN_STATES)[number];
export type ClosedState = (typeof CLOSED_STATES)[number];
export type CardStatus = (typeof CARD_STATES)[number];
export type EventSource = 'live' | 'test';

export interface CardPayload {
  detail: Record<string, string>;
  target: { usersById: string[] };
  cardOptions: CardOptions;
  metadata: Record<string, unknown>;
}

export interface Card {
  eventName: string;
  eventSource: EventSource;
  cardTemplateId: string;
  cardTemplateName: string;
  cardTemplateVersion: number;
  cardInstanceId: string;
  lifecycleId: string;
  flowInstanceId: string;
  flowInvocationId: string;
  streamId: string;
  priority: number;
  definition: CardDefinition;
  payload: CardPayload;
  status: CardStatus;
  userId: string;
  created: string;
  updated: string;
  embargoUntil?: string;
  expiresAt?: string;
  snoozedUntil?: string;
  completion?: { payload: unknown; at: string };
}

export type CardAction = 'dismiss' | 'complete' | 'snooze' | 'cancel';

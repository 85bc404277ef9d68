// SDK analytics events (CONTRACT §7) with the seed's context objects. Every context is
// present; `{}` where it does not apply.
import type { SdkCard, SdkEventName, SdkEventUpload } from '../../../protocol/src/sdk.js';

export const SDK_VERSION = '0.1.0';

export type DisplayMode = 'stream' | 'single' | 'horizontal' | 'launcher';

/** The analytics event as `cs-event` carries it; `endUserId` is the token's subject. */
export interface AnalyticsEvent extends Required<SdkEventUpload> {
  endUserId: string;
  platformContext: Record<string, unknown>;
}

export interface EventScope {
  streamId?: string;
  displayMode?: DisplayMode;
  /** Cards on screen, in order: for the stream length and the card's position. */
  cards?: readonly SdkCard[];
  card?: SdkCard;
  viewState?: 'topview' | 'subview';
  properties?: Record<string, unknown>;
  /** Reuse an id (a vote's action id, so the server drops the duplicate). */
  id?: string;
}

/**
 * A random UUID. crypto.randomUUID exists only in secure contexts; a blob URL ends in a
 * UUID in any context, so plain-http host pages still get ids.
 */
export function uuid(): string {
  if (crypto.randomUUID) return crypto.randomUUID();
  const url = URL.createObjectURL(new Blob());
  URL.revokeObjectURL(url);
  return url.slice(-36);
}

/** The user's wall-clock time with its UTC offset, e.g. 2026-05-01T09:30:00+02:00. */
export function localTimestamp(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const abs = Math.abs(offset);
  const hhmm = new Date(abs * 60_000).toISOString().slice(11, 16);
  return new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 19) + (offset < 0 ? '-' : '+') + hhmm;
}

export function buildEvent(name: SdkEventName, endUserId: string, scope: EventScope = {}): AnalyticsEvent {
  const now = new Date();
  const { card, cards, streamId } = scope;
  const position = card && cards ? cards.findIndex((c) => c.cardInstanceId === card.cardInstanceId) + 1 : 0;
  return {
    id: scope.id ?? uuid(),
    endUserId,
    analyticsEvent: name,
    timestamp: now.toISOString(),
    properties: scope.properties ?? {},
    hostContext: {},
    eventContext: { actionSource: 'user', userLocalTimestamp: localTimestamp(now) },
    sdkContext: {
      platform: 'Web',
      sdkVersion: SDK_VERSION,
      sdkDevice: navigator.userAgent,
      sdkTimezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      ...(streamId ? { containerId: streamId } : {}),
    },
    streamContext: streamId
      ? {
          displayMode: scope.displayMode ?? 'stream',
          streamId,
          streamLength: cards?.length ?? 0,
          streamLengthVisible: scope.displayMode === 'single' ? 1 : (cards?.length ?? 0),
          ...(position > 0 ? { cardPositionInStream: position } : {}),
        }
      : {},
    cardContext: card
      ? {
          cardInstanceId: card.cardInstanceId,
          cardInstanceStatus: card.status,
          cardViewState: scope.viewState ?? 'topview',
          cardTemplateId: card.cardTemplateId,
          cardTemplateName: card.cardTemplateName,
          cardTemplateVersion: card.cardTemplateVersion,
          cardPresentation: 'individual',
          publishedAt: card.created,
          cardPriority: card.priority,
        }
      : {},
    platformContext: {},
  };
}

/** The upload shape: the server sets `endUserId` and `platformContext` itself. */
export function toUpload({ endUserId: _user, platformContext: _platform, ...event }: AnalyticsEvent): SdkEventUpload {
  return event;
}

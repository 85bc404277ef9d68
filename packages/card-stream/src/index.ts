// Public API of the card-stream SDK. Importing this module registers nothing and never
// touches `window` or `document`; call `defineElements()` (or import the package entry
// built from `register.ts`, which does it for you) to register the elements.
export { configure, getConfig, type CardStreamOptions, type SessionDelegate } from './config.js';
export {
  CardStreamElement,
  DEFAULT_POLL_INTERVAL,
  type CsActionDetail,
  type CsCountDetail,
  type CsStateDetail,
  type DisplayMode,
  type Theme,
  type TransportMode,
} from './card-stream/card-stream.js';
export { CardCountElement } from './card-count/card-count.js';
export { CardElement } from './card/card.js';
export { defineElements } from './define.js';
export type { AnalyticsEvent } from './client/analytics.js';
export type { ConnectionState } from './client/client.js';
export type { RuntimeVariableRequest, RuntimeVariablesResolver } from './client/vars.js';
export type { Strings } from './strings.js';

// What <card-stream> hands its nested cards through @lit/context: the actions and
// analytics of its stream, already bound to its client, mode and strings.
import { createContext } from '@lit/context';
import type { SdkCard, SdkEventName } from '../../protocol/src/sdk.js';
import type { Button, ButtonAction } from '../../protocol/src/definition.js';
import type { ActionRequest } from './client/client.js';
import type { Vars } from './client/vars.js';
import type { EventScope } from './client/analytics.js';
import type { Strings } from './strings.js';

export interface StreamApi {
  strings: Strings;
  /** Level of the cards' headings (`heading-level`). */
  level: number;
  /** The locale dates and times are shown in (read when shown: the page's `lang` may change). */
  locale(): string | undefined;
  vars(card: SdkCard): Vars;
  /** Sends an action; removing ones take the card out of the stream first. */
  act(card: SdkCard, request: ActionRequest, id?: string): void;
  /** Fires `cs-event` with the stream's context added, and uploads it. */
  track(name: SdkEventName, scope: EventScope): void;
  /** Fires the cancelable `cs-action`; false when the host cancelled it. */
  action(card: SdkCard, button: Button, action: ButtonAction): boolean;
}

export const streamApiContext = createContext<StreamApi>(Symbol('card-stream-api'));

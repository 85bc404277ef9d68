import { CardElement } from './card/card.js';
import { CardCountElement } from './card-count/card-count.js';
import { CardStreamElement } from './card-stream/card-stream.js';

/** Tag names and the classes registered for them. */
export const ELEMENTS = {
  'card-stream': CardStreamElement,
  'card-count': CardCountElement,
  'cs-card': CardElement,
} as const;

/**
 * Registers every element that is not registered yet. Does nothing where there is no
 * custom element registry, so calling it during server-side rendering is harmless.
 */
export function defineElements(): void {
  if (typeof customElements === 'undefined') return;
  for (const [tag, ctor] of Object.entries(ELEMENTS)) {
    if (!customElements.get(tag)) customElements.define(tag, ctor);
  }
}

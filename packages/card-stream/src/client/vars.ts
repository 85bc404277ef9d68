// Runtime variables (CONTRACT §6, §8): `!{name}` filled in the browser. The host's callback
// is asked once per batch of arriving cards and never twice for one card; after 5 s the
// template defaults stand. Values are filled at render time as plain text (or URL-encoded
// inside a url), so a value can never become markup.
import { ownEntry } from '../own.js';
import type { SdkCard } from '../../../protocol/src/sdk.js';

export interface RuntimeVariableRequest {
  cardInstanceId: string;
  cardTemplateId: string;
  runtimeVariables: Record<string, string>;
}

export type RuntimeVariablesResolver = (
  cards: RuntimeVariableRequest[],
) => Promise<Record<string, Record<string, string>>>;

export type Vars = Record<string, string>;

export const VARS_TIMEOUT = 5000;
const PLACEHOLDER = /!\{([^}]*)\}/g;

export function needsVars(card: SdkCard): boolean {
  return Object.keys(card.runtimeVariables ?? {}).length > 0 || JSON.stringify(card.definition).includes('!{');
}

/**
 * Asks `resolver` about `cards` (one call) and answers each card's values: the host's
 * strings over the template defaults. A missing, late (`timeout`) or failed answer keeps
 * the defaults.
 */
export async function resolveVars(
  cards: SdkCard[],
  resolver: RuntimeVariablesResolver | undefined,
  timeout = VARS_TIMEOUT,
): Promise<Map<string, Vars>> {
  let answer: Record<string, Record<string, unknown>> = {};
  if (resolver) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const request = cards.map(({ cardInstanceId, cardTemplateId, runtimeVariables }) => ({
      cardInstanceId,
      cardTemplateId,
      runtimeVariables: { ...runtimeVariables },
    }));
    answer =
      (await Promise.race([
        Promise.resolve()
          .then(() => resolver(request))
          .catch(() => ({})),
        new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeout))),
      ])) ?? {};
    clearTimeout(timer);
  }
  const result = new Map<string, Vars>();
  for (const card of cards) {
    // Object(): whatever the host answered for this card (nothing, null, a string) reads safely.
    const given: Record<string, unknown> = Object(answer?.[card.cardInstanceId]);
    const values: Vars = { ...card.runtimeVariables };
    for (const name of Object.keys(values)) {
      const value = given[name];
      if (typeof value === 'string') values[name] = value;
    }
    result.set(card.cardInstanceId, values);
  }
  return result;
}

/** Fills `!{name}` with plain text; an unknown name becomes empty. */
export function fillText(text: string, vars: Vars): string {
  return text.includes('!{') ? text.replace(PLACEHOLDER, (_, name: string) => ownEntry(vars, name) ?? '') : text;
}

/** Fills `!{name}` inside a URL, each value URL-encoded. */
export function fillUrl(url: string, vars: Vars): string {
  return url.includes('!{') ? url.replace(PLACEHOLDER, (_, name: string) => encodeURIComponent(ownEntry(vars, name) ?? '')) : url;
}

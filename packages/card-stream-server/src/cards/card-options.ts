// When a card shows and leaves, and its priority (CONTRACT §5): checked on their own where a
// template or a send gives them, then resolved for one send.
import type { CardOptions } from '../../../protocol/src/cards.js';
import { InvalidInput } from '../errors.js';
import { parseDuration, parseInstant, withinReach } from '../time.js';

/** A card's options as one send resolves them. */
export interface ResolvedOptions {
  priority: number;
  embargoUntil: number | null;
  expiresAt: number | null;
  /** What the card's payload records. */
  options: CardOptions;
}

/** Checks a card-options object on its own (template or send): each time and duration parses. */
export function checkCardOptions(options: CardOptions | undefined, where: string): void {
  if (!options) return;
  for (const key of ['expires', 'embargo'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    const at = parseInstant(value);
    if (at === undefined) {
      throw new InvalidInput('invalid_time', `${where}.${key} "${value}" is not an ISO 8601 time with Z or an offset.`, `${where}.${key}`);
    }
    if (!withinReach(at)) throw new InvalidInput('invalid_time', `${where}.${key} is more than 100 years ahead.`, `${where}.${key}`);
  }
  if (options.expiresInterval !== undefined && !parseDuration(options.expiresInterval)) {
    throw new InvalidInput(
      'invalid_duration',
      `${where}.expiresInterval "${options.expiresInterval}" is not an ISO 8601 duration such as PT10S or P2D, of at most 100 years.`,
      `${where}.expiresInterval`,
    );
  }
}

/** Options of the send over the template's; priority falls back to the definition, then 5. */
export function resolveCardOptions(
  templateOptions: CardOptions,
  definitionPriority: number | undefined,
  sendOptions: CardOptions | undefined,
  now: number,
): ResolvedOptions {
  const options: CardOptions = { ...templateOptions, ...sendOptions };
  const priority = options.priority ?? definitionPriority ?? 5;
  const embargo = options.embargo === undefined ? undefined : (parseInstant(options.embargo) as number);
  const expiries: number[] = [];
  if (options.expires !== undefined) expiries.push(parseInstant(options.expires) as number);
  if (options.expiresInterval !== undefined) expiries.push(now + (parseDuration(options.expiresInterval) as number));
  const expiresAt = expiries.length ? Math.min(...expiries) : null;
  if (expiresAt !== null && expiresAt <= now) {
    throw new InvalidInput('invalid_card_options', 'The card would expire before it is sent: set expires in the future.');
  }
  const embargoUntil = embargo !== undefined && embargo > now ? embargo : null;
  if (expiresAt !== null && embargo !== undefined && expiresAt <= embargo) {
    throw new InvalidInput('invalid_card_options', 'The expiry is at or before the embargo, so the card would never show.');
  }
  return { priority, embargoUntil, expiresAt, options: { ...options, priority } };
}

// Locale (CONTRACT §8a): dates and times the elements show follow the element's `locale`,
// else `configure({ locale })`, else the nearest `lang` (through shadow roots), else the
// browser's. Nothing here runs at import.
import { getConfig } from './config.js';

function nearestLang(el: Element): string | undefined {
  const found = el.closest<HTMLElement>('[lang]');
  if (found) return found.lang || undefined;
  const host = (el.getRootNode() as Partial<ShadowRoot>).host;
  return host ? nearestLang(host) : undefined;
}

/**
 * The locale for `el`; undefined means the browser's. A source Intl cannot read is named
 * on the console and skipped.
 */
export function localeOf(el: Element, own: string | undefined): string | undefined {
  for (const locale of [own, getConfig().locale, nearestLang(el)]) {
    try {
      if (locale) return Intl.getCanonicalLocales(locale)[0];
    } catch {
      console.warn(`card-stream: ignoring the locale "${locale}" (not a BCP 47 language tag)`);
    }
  }
  return undefined;
}

/** A date and time, short: "Dec 3, 3:42 PM" (en-US), "3. Dez., 15:42" (de-DE). */
export function formatWhen(date: Date, locale: string | undefined): string {
  return new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(date);
}

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

/** The locale for `el`; undefined means the browser's. A locale Intl cannot read is dropped. */
export function localeOf(el: Element, own: string | undefined): string | undefined {
  const locale = own || getConfig().locale || nearestLang(el);
  try {
    return locale ? Intl.getCanonicalLocales(locale)[0] : undefined;
  } catch {
    return undefined;
  }
}

/** A date and time, short: "Dec 3, 3:42 PM" (en-US), "3. Dez., 15:42" (de-DE). */
export function formatWhen(date: Date, locale: string | undefined): string {
  return new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(date);
}

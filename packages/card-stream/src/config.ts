// Page-wide defaults set with `configure()` (CONTRACT §8). Elements read them when they
// load; an element's own properties override them. Module state only: nothing here
// touches `window` or `document`, so importing it is safe during server-side rendering.
import type { RuntimeVariablesResolver } from './client/vars.js';
import type { Strings } from './strings.js';

/** Returns a fresh end-user token (an HS256 JWT minted by the host's backend). */
export type SessionDelegate = () => Promise<string>;

export interface CardStreamOptions {
  /** Platform origin, e.g. `http://127.0.0.1:8787`. */
  apiBase?: string;
  sessionDelegate?: SessionDelegate;
  /** Instead of a delegate: the host backend's URL that answers `{ token }` (or the token as text) to a GET with the page's cookies. */
  sessionUrl?: string;
  /** Fills `!{name}` runtime variables of arriving cards (CONTRACT §8). */
  runtimeVariables?: RuntimeVariablesResolver;
  /** UI text overrides. */
  strings?: Partial<Strings>;
  /** BCP 47 locale for dates and times (default: the nearest `lang`, then the browser's). */
  locale?: string;
}

type Listener = (options: Readonly<CardStreamOptions>) => void;

let current: Readonly<CardStreamOptions> = Object.freeze({});
let configured = false;
const listeners = new Set<Listener>();

/** Sets page-wide defaults; later calls merge over earlier ones. */
export function configure(options: CardStreamOptions): void {
  current = Object.freeze({ ...current, ...options });
  configured = true;
  for (const listener of [...listeners]) listener(current);
}

/** The defaults set so far (an empty object before `configure()` runs). */
export function getConfig(): Readonly<CardStreamOptions> {
  return current;
}

export function isConfigured(): boolean {
  return configured;
}

/** Calls `listener` on every `configure()`; returns a function that unsubscribes. */
export function onConfigure(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const urlDelegates = new Map<string, SessionDelegate>();

/** The delegate that fetches a token from `url` (the `session-url` of CONTRACT §8a); one per URL. */
export function sessionFromUrl(url: string): SessionDelegate {
  let delegate = urlDelegates.get(url);
  if (!delegate) {
    delegate = async () => {
      const res = await fetch(url, { credentials: 'include' });
      if (!res.ok) throw new Error(`${url}: ${res.status}`);
      const text = (await res.text()).trim();
      return text.startsWith('{') ? (JSON.parse(text) as { token: string }).token : text;
    };
    urlDelegates.set(url, delegate);
  }
  return delegate;
}

/** Says once on the console why an element shows nothing (the `unauthorized` state). */
export const warnUnauthorized = (reason: string): void => console.warn(`card-stream: unauthorized: ${reason}`);
